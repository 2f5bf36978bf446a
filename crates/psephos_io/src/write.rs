//! Writing packages and forms, in the same formats the readers take.

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::Path;

use psephos_model::{
    ContestIdx, Election, Electorate, FormSet, Formula, ListKind, Method, Minimum, QuotaScope,
    ThresholdBase, ThresholdScope,
};

/// The name of a package's law and metadata file.
pub const ELECTION_TOML: &str = "election.toml";

/// Writes a whole package: `election.toml`, the five tables and an empty `results/` directory.
pub fn write_package(dir: &Path, election: &Election) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("results"))?;
    std::fs::write(dir.join(ELECTION_TOML), election_toml(election))?;
    write_tables(dir, election)
}

/// Writes only `election.toml`.
pub fn write_election_toml(dir: &Path, election: &Election) -> std::io::Result<()> {
    std::fs::write(dir.join(ELECTION_TOML), election_toml(election))
}

/// Writes the five definition tables.
pub fn write_tables(dir: &Path, e: &Election) -> std::io::Result<()> {
    let gov = |g: Option<psephos_model::GovernorateIdx>| {
        g.map_or("", |g| e.governorates[g.index()].as_str())
    };
    let mut w = csv_writer(&dir.join("contests.csv"))?;
    // A population column only when some contest has a population.
    let populations = e.contests.iter().any(|c| c.population.is_some());
    let mut header = vec!["id", "name", "governorate", "seats", "system"];
    if populations {
        header.push("population");
    }
    w.write_record(&header)?;
    for c in &e.contests {
        // Seats the package reader apportions by population may be left to it.
        let apportioned = e.apportionment.as_ref().is_some_and(|a| {
            a.system == c.system && a.governorate_population.is_empty() && c.seats == 0
        });
        let seats = if apportioned { String::new() } else { c.seats.to_string() };
        let mut row = vec![
            c.id.as_str(),
            c.name.as_str(),
            gov(c.governorate),
            seats.as_str(),
            e.system(c.system).id.as_str(),
        ];
        let population = c.population.map(|p| p.to_string()).unwrap_or_default();
        if populations {
            row.push(&population);
        }
        w.write_record(&row)?;
    }
    w.flush()?;

    let mut w = csv_writer(&dir.join("coalitions.csv"))?;
    w.write_record(["id", "name"])?;
    for c in &e.coalitions {
        w.write_record([&c.id, &c.name])?;
    }
    w.flush()?;

    let mut w = csv_writer(&dir.join("parties.csv"))?;
    // The threshold and agreement columns only when some party uses them.
    let thresholds = e.parties.iter().any(|p| p.threshold.is_some());
    let agreements = e.parties.iter().any(|p| p.agreement.is_some());
    let mut header = vec!["id", "name", "coalition"];
    if thresholds {
        header.push("threshold");
    }
    if agreements {
        header.push("agreement");
    }
    w.write_record(&header)?;
    for p in &e.parties {
        let coalition = p.coalition.map_or("", |c| e.coalitions[c.index()].id.as_str());
        let t = p.threshold.map(|t| t.percent_text()).unwrap_or_default();
        let mut row = vec![p.id.as_str(), &p.name, coalition];
        if thresholds {
            row.push(&t);
        }
        if agreements {
            row.push(p.agreement.as_deref().unwrap_or(""));
        }
        w.write_record(&row)?;
    }
    w.flush()?;

    let mut w = csv_writer(&dir.join("candidates.csv"))?;
    // A person column only when some candidate has one.
    let persons = e.candidates.iter().any(|c| c.person.is_some());
    let mut header = vec!["id", "name", "gender", "party", "contest", "groups", "kind"];
    if persons {
        header.push("person");
    }
    w.write_record(&header)?;
    for c in &e.candidates {
        let party = c.party.map_or("", |p| e.parties[p.index()].id.as_str());
        let groups = c.groups.join(";");
        let mut row = vec![
            c.id.as_str(),
            &c.name,
            if c.list_vote { "" } else { c.gender.as_str() },
            party,
            &e.contest(c.contest).id,
            &groups,
            if c.list_vote { "list" } else { "" },
        ];
        if persons {
            row.push(c.person.as_deref().unwrap_or(""));
        }
        w.write_record(&row)?;
    }
    w.flush()?;

    let mut w = csv_writer(&dir.join("stations.csv"))?;
    w.write_record(["id", "centre", "district", "governorate", "registered"])?;
    for (s, id) in e.stations.iter().zip(e.station_ids.iter()) {
        w.write_record([
            id,
            e.centre_of(s),
            &e.contest(s.district).id,
            gov(s.governorate),
            &s.registered.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn csv_writer(path: &Path) -> std::io::Result<csv::Writer<BufWriter<std::fs::File>>> {
    Ok(csv::Writer::from_writer(BufWriter::with_capacity(1 << 16, std::fs::File::create(path)?)))
}

/// Writes forms of one contest in the wide layout, with one column per candidate on its ballot.
/// `forms` are indices into `set`; each must be a form of `contest`.
pub fn write_forms_wide(
    path: &Path,
    election: &Election,
    contest: ContestIdx,
    set: &FormSet,
    forms: &[usize],
) -> std::io::Result<()> {
    let ballot = &election.ballot(contest).candidates;
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut line = String::with_capacity(1024);
    line.push_str("station,contest,phase,version,ballots_found,blank,invalid");
    for &c in ballot {
        line.push(',');
        push_csv_field(&mut line, &election.candidate(c).id);
    }
    line.push('\n');
    out.write_all(line.as_bytes())?;
    let mut itoa = itoa::Buffer::new();
    let mut by_position = vec![0u32; ballot.len()];
    for &i in forms {
        let form = &set.forms[i];
        if form.key.contest != contest {
            return Err(std::io::Error::other(format!(
                "form {i} is for another contest than {}",
                election.contest(contest).id
            )));
        }
        by_position.fill(0);
        for (&c, v) in set.layout(form).iter().zip(set.votes(form)) {
            if let Some(pos) = election.ballot_position(contest, c) {
                by_position[pos] = v;
            }
        }
        line.clear();
        push_csv_field(&mut line, election.station_label(form.key.station));
        line.push(',');
        push_csv_field(&mut line, &election.contest(contest).id);
        let _ = write!(line, ",{},", form.key.phase.as_str());
        for n in [form.key.version, form.ballots_found, form.blank, form.invalid] {
            line.push_str(itoa.format(n));
            line.push(',');
        }
        for (k, v) in by_position.iter().enumerate() {
            if k > 0 {
                line.push(',');
            }
            line.push_str(itoa.format(*v));
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    out.flush()
}

/// Appends a CSV field, quoting it when needed.
fn push_csv_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The text of `election.toml`, commented so that a reader can edit it by hand.
fn election_toml(e: &Election) -> String {
    let mut s = String::new();
    let _ =
        writeln!(s, "# psephos election package: the law and metadata. Fields: docs/package.md");
    let _ = writeln!(s, "\n[election]");
    let _ = writeln!(s, "id = {}", toml_string(&e.meta.id));
    let _ = writeln!(s, "name = {}", toml_string(&e.meta.name));
    let _ = writeln!(s, "date = {}", toml_string(&e.meta.date));
    let _ = writeln!(s, "country = {}", toml_string(&e.meta.country));
    let _ = writeln!(s, "\n# The tables of the package, relative to this file.");
    let _ = writeln!(s, "[tables]");
    for (k, v) in [
        ("contests", "contests.csv"),
        ("coalitions", "coalitions.csv"),
        ("parties", "parties.csv"),
        ("candidates", "candidates.csv"),
        ("stations", "stations.csv"),
    ] {
        let _ = writeln!(s, "{k} = {}", toml_string(v));
    }
    let _ = writeln!(s, "results = [\"results\"]  # files or directories of station result forms");
    let _ = writeln!(
        s,
        "\n# Which form counts for a station: the first phase listed that has a form, latest version."
    );
    let _ = writeln!(s, "[phases]");
    let phases: Vec<String> =
        e.phase_policy.precedence.iter().map(|p| toml_string(p.as_str())).collect();
    let _ = writeln!(s, "precedence = [{}]", phases.join(", "));
    // The election-wide tie policy is the one most systems use.
    let default_ties = e.systems.first().map(|s| s.ties.clone());
    if let Some(t) = &default_ties {
        let _ = writeln!(
            s,
            "\n# Ties that votes cannot settle: a lot, replayable from the seed (docs/ties.md)."
        );
        let _ = writeln!(s, "[ties]");
        let _ = writeln!(s, "method = {}", toml_string(t.method.as_str()));
        let _ = writeln!(s, "seed = {}", toml_string(&t.seed));
    }
    if let Some(a) = &e.apportionment {
        let _ = writeln!(
            s,
            "\n# The seats of the contests of one system, apportioned by their population."
        );
        let _ = writeln!(s, "[apportionment]");
        let _ = writeln!(s, "system = {}", toml_string(&e.system(a.system).id));
        let _ = writeln!(s, "method = {}", toml_string(a.formula.name()));
        if let Formula::ModifiedSainteLague { first } = a.formula {
            let _ = writeln!(s, "first_divisor = {}", toml_string(&first.text()));
        }
        let _ = writeln!(s, "seats = {}", a.seats);
        let _ = writeln!(s, "minimum = {}", a.minimum);
        if !a.governorate_population.is_empty() {
            let _ = writeln!(s, "by = \"governorate\"");
            let _ = writeln!(s, "\n[apportionment.population]");
            for (name, population) in &a.governorate_population {
                let _ = writeln!(s, "{} = {population}", toml_key(name));
            }
        }
    }
    if let Some(b) = &e.biproportional {
        let _ = writeln!(
            s,
            "\n# Biproportional apportionment over the contests of one list-PR system."
        );
        let _ = writeln!(s, "[biproportional]");
        let _ = writeln!(s, "system = {}", toml_string(&e.system(b.system).id));
        let _ = writeln!(s, "formula = {}", toml_string(b.formula.name()));
        if let Formula::ModifiedSainteLague { first } = b.formula {
            let _ = writeln!(s, "first_divisor = {}", toml_string(&first.text()));
        }
        let _ = writeln!(s, "voter_numbers = {}", b.voter_numbers);
    }
    if let Some(m) = &e.mixed_member {
        let _ = writeln!(
            s,
            "\n# Mixed-member proportional: lists that compensate for single-seat constituencies."
        );
        let _ = writeln!(s, "[mmp]");
        let _ = writeln!(s, "constituencies = {}", toml_string(&e.system(m.constituencies).id));
        let _ = writeln!(s, "lists = {}", toml_string(&e.system(m.lists).id));
        let _ = writeln!(s, "seats = {}", m.seats);
        let _ = writeln!(s, "formula = {}", toml_string(m.formula.name()));
        if let Formula::ModifiedSainteLague { first } = m.formula {
            let _ = writeln!(s, "first_divisor = {}", toml_string(&first.text()));
        }
        let _ = writeln!(s, "overhang = {}", toml_string(m.overhang.as_str()));
    }
    if let Some(l) = &e.leveling {
        let _ = writeln!(
            s,
            "\n# Leveling seats: a national tier over the contests of one list-PR system."
        );
        let _ = writeln!(s, "[leveling]");
        let _ = writeln!(s, "system = {}", toml_string(&e.system(l.system).id));
        let _ = writeln!(s, "seats = {}", l.seats);
        let _ = writeln!(s, "formula = {}", toml_string(l.formula.name()));
        if let Formula::ModifiedSainteLague { first } = l.formula {
            let _ = writeln!(s, "first_divisor = {}", toml_string(&first.text()));
        }
        let _ = writeln!(s, "threshold = {}", toml_string(&l.threshold.percent_text()));
    }
    for sys in &e.systems {
        let _ = writeln!(s, "\n[systems.{}]", toml_key(&sys.id));
        let _ = writeln!(s, "method = {}", toml_string(sys.method.as_str()));
        if let Method::ListPr(l) = &sys.method {
            let _ = writeln!(s, "formula = {}", toml_string(l.formula.name()));
            if let Formula::ModifiedSainteLague { first } = l.formula {
                let _ = writeln!(s, "first_divisor = {}", toml_string(&first.text()));
            }
            match l.lists {
                ListKind::Closed => {
                    let _ = writeln!(s, "lists = \"closed\"");
                }
                ListKind::Open => {
                    let _ = writeln!(s, "lists = \"open\"");
                }
                ListKind::Preference { jump } => {
                    let _ = writeln!(s, "lists = \"preference\"");
                    let _ = writeln!(s, "preference_jump = {}", toml_string(&jump.text()));
                }
            }
            if let Some(t) = &l.threshold {
                let base = match t.base {
                    ThresholdBase::ListVotes => "list-votes",
                    ThresholdBase::ValidBallots => "valid-ballots",
                };
                let scope = match t.scope {
                    ThresholdScope::Contest => "contest",
                    ThresholdScope::System => "system",
                };
                let alternative = t.or_seats.map_or(String::new(), |a| {
                    format!(
                        ", or_seats = {}, or_seats_in = {}",
                        a.seats,
                        toml_string(&e.system(a.system).id)
                    )
                });
                let _ = writeln!(
                    s,
                    "threshold = {{ share = {}, base = \"{base}\", scope = \"{scope}\"{alternative} }}",
                    toml_string(&t.share.percent_text())
                );
            }
        }
        if sys.electorate != Electorate::Own {
            let _ = writeln!(s, "electorate = {}", toml_string(sys.electorate.as_str()));
        }
        if let Some(g) = &sys.reserved_for {
            let _ = writeln!(s, "reserved_for = {}", toml_string(g));
        }
        if Some(&sys.ties) != default_ties.as_ref() {
            let _ = writeln!(
                s,
                "ties = {{ method = {}, seed = {} }}",
                toml_string(sys.ties.method.as_str()),
                toml_string(&sys.ties.seed)
            );
        }
        for q in &sys.quotas {
            let _ = writeln!(s, "\n[[systems.{}.quotas]]", toml_key(&sys.id));
            let _ = writeln!(s, "name = {}", toml_string(&q.name));
            if let Some(g) = q.filter.gender {
                let _ = writeln!(s, "gender = {}", toml_string(g.as_str()));
            }
            if let Some(g) = &q.filter.group {
                let _ = writeln!(s, "group = {}", toml_string(g));
            }
            let _ = writeln!(s, "{}", minimum_toml(q.minimum).join("\n"));
            if q.scope != QuotaScope::Contest {
                let _ = writeln!(s, "scope = {}", toml_string(q.scope.as_str()));
            }
            if let Some(u) = q.unless_contest_has {
                let _ = writeln!(s, "unless_contest_has = {{ {} }}", minimum_toml(u).join(", "));
            }
        }
    }
    s
}

/// The keys of a minimum: `minimum = n`, or `share` and `rounding`.
fn minimum_toml(m: Minimum) -> Vec<String> {
    match m {
        Minimum::Count(n) => vec![format!("minimum = {n}")],
        Minimum::Share { numerator, denominator, rounding } => vec![
            format!("share = \"{numerator}/{denominator}\""),
            format!("rounding = {}", toml_string(rounding.as_str())),
        ],
    }
}

fn toml_key(k: &str) -> String {
    if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        k.to_owned()
    } else {
        toml_string(k)
    }
}

//! The page: a [`Report`] turned into view rows (numbers formatted for the language, names
//! isolated with `<bdi>`), then into HTML by the askama template `templates/report.html`, which
//! escapes every value it prints; fields named `*_html` hold markup built here from escaped
//! parts and are printed as they are.

use askama::Template;
use psephos_model::{Formula, Gender, Method, Phase, RankedKind};

use crate::charts::{self, ChartText};
use crate::format::{Fmt, Lang};
use crate::hemicycle::{self, Group, Style, SvgText};
use crate::labels::{Labels, fill, fill_html, labels};
use crate::model::*;
use crate::svg::escape;

/// Why a report could not be drawn.
#[derive(Debug)]
pub enum RenderError {
    Hemicycle(hemicycle::LayoutError),
    Template(askama::Error),
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RenderError::Hemicycle(e) => write!(f, "cannot draw the hemicycle: {e}"),
            RenderError::Template(e) => write!(f, "cannot render the report: {e}"),
        }
    }
}

impl std::error::Error for RenderError {}

/// The station ballots whose phases differ that a report lists at most (the rest are counted).
pub const DIFFERING_SHOWN: usize = 500;

/// Flagged forensic stations listed at most.
pub const FLAGGED_SHOWN: usize = 20;

const CSS: &str = include_str!("../templates/report.css");

/// `<bdi>` around an escaped name: a name in another script keeps its own direction.
fn bdi(name: &str) -> String {
    format!("<bdi>{}</bdi>", escape(name))
}

fn code(text: &str) -> String {
    format!("<code dir=\"ltr\">{}</code>", escape(text))
}

struct Figure {
    label: String,
    value: String,
}

struct LegendRow {
    swatch_html: String,
    name: String,
    seats: String,
    seat_share: String,
    votes: String,
    vote_share: String,
    positions: String,
}

struct PartyView {
    name: String,
    votes: String,
    vote_share: String,
    seats: String,
    seat_share: String,
}

struct BlocView {
    swatch_html: String,
    name: String,
    votes: String,
    vote_share: String,
    seats: String,
    seat_share: String,
    women: String,
    quota: String,
    reserved: String,
    parties: Vec<PartyView>,
}

struct AreaView {
    name: String,
    reporting: String,
    registered: String,
    ballots: String,
    turnout: String,
    bar: String,
}

struct CandidateView {
    rank: String,
    name: String,
    party: String,
    gender: String,
    votes: String,
    share: String,
    won: bool,
    result_html: String,
    margin: String,
}

struct ListView {
    name: String,
    votes: String,
    share: String,
    seats: String,
    margin: String,
}

struct QuotaView {
    rule: String,
    minimum: String,
    won_on_votes: String,
    replacements_html: String,
    unmet: String,
}

struct TieView {
    tied_html: String,
    votes: String,
    chosen_html: String,
    seed: String,
}

struct ContestView {
    anchor: String,
    heading_html: String,
    figures: Vec<Figure>,
    candidates_caption_html: String,
    candidates: Vec<CandidateView>,
    has_margins: bool,
    lists_caption_html: String,
    lists: Vec<ListView>,
    quotas_caption_html: String,
    quotas: Vec<QuotaView>,
    ties_caption_html: String,
    ties: Vec<TieView>,
    empty_seats: String,
}

struct ReservedView {
    contest_html: String,
    group: String,
    seats: String,
    winners_html: String,
}

struct QuotaSummaryView {
    contest_html: String,
    rule: String,
    minimum: String,
    won_on_votes: String,
    replacements_html: String,
    unmet: String,
}

struct PairView {
    phases: String,
    stations: String,
    identical: String,
    within: String,
    differ: String,
    votes_changed: String,
    largest: String,
}

struct SeatChangeView {
    contest: String,
    lost_html: String,
    gained_html: String,
}

struct DifferingView {
    station: String,
    contest: String,
    phases: String,
    class: String,
    largest: String,
    ballots: String,
    changes_html: String,
}

struct AuditContestView {
    contest: String,
    seats: String,
    status: String,
    ballots: String,
    stations: String,
    round_1: String,
    margin: String,
    assessment: String,
}

struct RoundView {
    round: String,
    stations: String,
    assessed: String,
}

struct TestView {
    name: String,
    statistic: String,
    p_html: String,
    p_holm_html: String,
    effect_html: String,
    effect_is: String,
    assumptions: String,
    assumptions_lang: &'static str,
}

struct ChartView {
    svg_html: String,
    caption: String,
    note: String,
}

struct FlaggedView {
    id: String,
    region: String,
    whole_in: String,
    turnout: String,
    share: String,
    p_html: String,
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page {
    lang: &'static str,
    dir: &'static str,
    l: &'static Labels,
    css: &'static str,
    title: String,
    name: String,
    meta: Vec<Figure>,
    provisional: bool,
    status: String,
    toc: Vec<(&'static str, &'static str)>,
    hemicycle_html: String,
    hemicycle_empty: bool,
    legend_caption: &'static str,
    legend: Vec<LegendRow>,
    blocs_caption: String,
    blocs: Vec<BlocView>,
    blocs_total: BlocView,
    turnout: Vec<Figure>,
    reporting_bar: String,
    reporting_text: String,
    policy: String,
    governorates: Vec<AreaView>,
    reserved: Vec<ReservedView>,
    quotas_any: bool,
    quota_summary: String,
    quota_rows: Vec<QuotaSummaryView>,
    recon_pairs: Vec<PairView>,
    recon_tolerance: String,
    recon_show_tolerance: bool,
    recon_seats_unchanged: bool,
    recon_seat_changes: Vec<SeatChangeView>,
    recon_sum_e: String,
    recon_tied: String,
    recon_differing: Vec<DifferingView>,
    recon_cut_html: String,
    audit_message_html: String,
    audit_figures: Vec<Figure>,
    audit_counts: String,
    audit_contests: Vec<AuditContestView>,
    audit_skipped: String,
    audit_rounds: Vec<RoundView>,
    audit_next_html: String,
    forensics_run: bool,
    forensics_figures: Vec<Figure>,
    tests: Vec<TestView>,
    integer_detail: String,
    regions: String,
    charts: Vec<ChartView>,
    flagged_caption: String,
    flagged: Vec<FlaggedView>,
    ledger_found: bool,
    ledger_message_html: String,
    ledger_checkpoint: String,
    ledger_verify_html: String,
    contests: Vec<ContestView>,
    about_html: Vec<String>,
}

/// Draws the report in `lang`.
pub fn render_html(report: &Report, lang: Lang) -> Result<String, RenderError> {
    let page = build(report, lang)?;
    page.render().map_err(RenderError::Template)
}

fn phase_name(l: &Labels, p: Phase) -> &'static str {
    match p {
        Phase::Electronic => l.phase_electronic,
        Phase::Manual => l.phase_manual,
        Phase::Recount => l.phase_recount,
        Phase::Correction => l.phase_correction,
    }
}

fn formula_name(l: &Labels, f: &Fmt, formula: Formula) -> String {
    match formula {
        Formula::DHondt => l.formula_dhondt.to_owned(),
        Formula::SainteLague => l.formula_sainte_lague.to_owned(),
        Formula::ModifiedSainteLague { first } => {
            fill(l.formula_modified_sainte_lague, &[&f.decimal_text(&first.text())])
        }
        Formula::Imperiali => l.formula_imperiali.to_owned(),
        Formula::Danish => l.formula_danish.to_owned(),
        Formula::HuntingtonHill => l.formula_huntington_hill.to_owned(),
        Formula::Adams => l.formula_adams.to_owned(),
        Formula::Dean => l.formula_dean.to_owned(),
        Formula::Hare => l.formula_hare.to_owned(),
        Formula::Droop => l.formula_droop.to_owned(),
        Formula::HagenbachBischoff => l.formula_hagenbach_bischoff.to_owned(),
        Formula::HagenbachBischoffRounded => l.formula_hagenbach_bischoff_rounded.to_owned(),
        Formula::ImperialiQuota => l.formula_imperiali_quota.to_owned(),
    }
}

fn system_name(l: &Labels, f: &Fmt, method: &Method) -> String {
    match method {
        Method::Sntv => l.system_sntv.to_owned(),
        Method::ListPr(pr) => fill(l.system_list_pr, &[&formula_name(l, f, pr.formula)]),
        Method::Ranked(r) => fill(
            l.system_ranked,
            &[match r.kind {
                RankedKind::Irv => l.ranked_irv,
                RankedKind::Stv => l.ranked_stv,
                RankedKind::ScottishStv => l.ranked_scottish_stv,
                RankedKind::Meek => l.ranked_meek,
                RankedKind::Irish => l.ranked_irish,
            }],
        ),
    }
}

fn audit_status(l: &Labels, s: &AuditStatus) -> String {
    match s {
        AuditStatus::Audit => l.status_audit.to_owned(),
        AuditStatus::FullHandCount => l.status_full.to_owned(),
        AuditStatus::Uncontested => l.status_uncontested.to_owned(),
        AuditStatus::Confirmed => l.status_confirmed.to_owned(),
        AuditStatus::Continue => l.status_continue.to_owned(),
        AuditStatus::Other(text) => text.clone(),
    }
}

fn opt_int(f: &Fmt, v: Option<u64>) -> String {
    v.map_or_else(|| "–".to_owned(), |v| f.int(v))
}

/// The width of a bar in percent, Western digits for CSS.
fn bar_width(num: u64, den: u64) -> String {
    match crate::format::hundredths(num.min(den), den) {
        Some(h) => format!("{}.{:02}", h / 100, h % 100),
        None => "0".to_owned(),
    }
}

fn build(r: &Report, lang: Lang) -> Result<Page, RenderError> {
    let l = labels(lang);
    let f = Fmt::new(lang);
    let f = &f;
    let nation = &r.nation;
    let seats_total: u64 = r.blocs.iter().map(|b| b.seats).sum();
    let votes_total: u64 = nation.votes;

    // Header.
    let mut meta = Vec::new();
    if !r.election.date.is_empty() {
        meta.push(Figure { label: l.date.to_owned(), value: f.date(&r.election.date) });
    }
    if !r.election.country.is_empty() {
        meta.push(Figure { label: l.country.to_owned(), value: r.election.country.clone() });
    }
    meta.push(Figure { label: l.election_id.to_owned(), value: r.election.id.clone() });
    let provisional = !nation.complete();
    let status = fill(
        if provisional { l.status_provisional } else { l.status_complete },
        &[&f.int(nation.stations_reporting), &f.int(nation.stations_expected)],
    );
    let toc = vec![
        ("seats", l.sec_seats),
        ("blocs", l.sec_blocs),
        ("turnout", l.sec_turnout),
        ("quotas", l.sec_quotas),
        ("reconciliation", l.sec_reconciliation),
        ("audit", l.sec_audit),
        ("forensics", l.sec_forensics),
        ("ledger", l.sec_ledger),
        ("districts", l.sec_districts),
        ("about", l.sec_about),
    ];

    // The hemicycle: blocs with seats, most seats first; dealt from the right in Arabic.
    let seated: Vec<(usize, &Bloc)> = r.blocs.iter().filter(|b| b.seats > 0).enumerate().collect();
    let bloc_name = |b: &Bloc| -> String {
        if b.independents { l.independents.to_owned() } else { b.name.clone() }
    };
    let style_of =
        |b: &Bloc| seated.iter().find(|(_, x)| x.id == b.id).map(|(k, _)| Style::nth(*k));
    let mut order: Vec<(usize, &Bloc)> = seated.clone();
    if lang.is_rtl() {
        order.reverse();
    }
    let groups: Vec<Group> = order
        .iter()
        .map(|(k, b)| Group { name: bloc_name(b), seats: b.seats, style: Style::nth(*k) })
        .collect();
    let nrows = hemicycle::rows_for(seats_total, hemicycle::HALF_CIRCLE);
    let listing: Vec<String> =
        groups.iter().map(|g| fill(l.hemicycle_group, &[&g.name, &f.int(g.seats)])).collect();
    let text = SvgText {
        title: fill(l.hemicycle_title, &[&f.int(seats_total)]),
        desc: fill(
            l.hemicycle_desc,
            &[
                &f.int(seats_total),
                &f.int(nrows as u64),
                &listing.join(if lang.is_rtl() { "، " } else { "; " }),
            ],
        ),
        total: f.plain(seats_total),
        group_titles: listing.clone(),
    };
    let hemicycle_html =
        hemicycle::svg(&groups, &text, "hemicycle").map_err(RenderError::Hemicycle)?;
    // Positions counted from the end the seats are dealt from (the left in English, the right
    // in Arabic): the legend's order, most seats first.
    let mut position = vec![(0u64, 0u64); seated.len()];
    let mut next = 1u64;
    for (k, b) in &seated {
        position[*k] = (next, next + b.seats - 1);
        next += b.seats;
    }
    let legend: Vec<LegendRow> = seated
        .iter()
        .map(|(k, b)| {
            let (from, to) = position[*k];
            LegendRow {
                swatch_html: hemicycle::swatch(Style::nth(*k)),
                name: bloc_name(b),
                seats: f.int(b.seats),
                seat_share: f.pct(b.seats, seats_total),
                votes: f.int(b.votes),
                vote_share: f.pct(b.votes, votes_total),
                positions: if from == to {
                    f.int(from)
                } else {
                    format!("{}–{}", f.int(from), f.int(to))
                },
            }
        })
        .collect();

    // Blocs and parties.
    let blocs: Vec<BlocView> = r
        .blocs
        .iter()
        .map(|b| BlocView {
            swatch_html: style_of(b).map(hemicycle::swatch).unwrap_or_default(),
            name: bloc_name(b),
            votes: f.int(b.votes),
            vote_share: f.pct(b.votes, votes_total),
            seats: f.int(b.seats),
            seat_share: f.pct(b.seats, seats_total),
            women: f.int(b.women),
            quota: f.int(b.quota),
            reserved: f.int(b.reserved),
            parties: b
                .parties
                .iter()
                .map(|p| PartyView {
                    name: p.name.clone(),
                    votes: f.int(p.votes),
                    vote_share: f.pct(p.votes, votes_total),
                    seats: f.int(p.seats),
                    seat_share: f.pct(p.seats, seats_total),
                })
                .collect(),
        })
        .collect();
    let sum = |g: fn(&Bloc) -> u64| r.blocs.iter().map(g).sum::<u64>();
    let blocs_total = BlocView {
        swatch_html: String::new(),
        name: l.total.to_owned(),
        votes: f.int(sum(|b| b.votes)),
        vote_share: f.pct(sum(|b| b.votes), votes_total),
        seats: f.int(seats_total),
        seat_share: f.pct(seats_total, seats_total),
        women: f.int(sum(|b| b.women)),
        quota: f.int(sum(|b| b.quota)),
        reserved: f.int(sum(|b| b.reserved)),
        parties: Vec::new(),
    };

    // Turnout and reporting.
    let mut turnout = vec![
        Figure { label: l.registered.to_owned(), value: f.int(nation.registered) },
        Figure {
            label: l.registered_reporting.to_owned(),
            value: f.int(nation.registered_reporting),
        },
        Figure { label: l.ballots_found.to_owned(), value: f.int(nation.ballots_found) },
        Figure {
            label: l.turnout.to_owned(),
            value: f.pct(nation.ballots_found, nation.registered_reporting),
        },
        Figure { label: l.blank.to_owned(), value: f.int(nation.blank) },
        Figure { label: l.invalid.to_owned(), value: f.int(nation.invalid) },
        Figure { label: l.valid_votes.to_owned(), value: f.int(nation.votes) },
    ];
    if nation.stations_held > 0 {
        turnout
            .push(Figure { label: l.stations_held.to_owned(), value: f.int(nation.stations_held) });
    }
    if nation.stations_missing() > 0 {
        turnout.push(Figure {
            label: l.stations_missing.to_owned(),
            value: f.int(nation.stations_missing()),
        });
        turnout.push(Figure {
            label: l.registered_missing.to_owned(),
            value: format!(
                "{} ({})",
                f.int(r.registered_missing),
                f.pct(r.registered_missing, nation.registered)
            ),
        });
    }
    let reporting_text = format!(
        "{}: {} ({})",
        l.stations_reporting,
        fill(l.of, &[&f.int(nation.stations_reporting), &f.int(nation.stations_expected)]),
        f.pct(nation.stations_reporting, nation.stations_expected)
    );
    let policy = fill(
        l.policy,
        &[&r.phase_policy
            .iter()
            .map(|p| phase_name(l, *p))
            .collect::<Vec<_>>()
            .join(l.policy_then)],
    );
    let governorates: Vec<AreaView> = r
        .governorates
        .iter()
        .map(|g| AreaView {
            name: g.name.clone(),
            reporting: fill(
                l.of,
                &[&f.int(g.totals.stations_reporting), &f.int(g.totals.stations_expected)],
            ),
            registered: f.int(g.totals.registered),
            ballots: f.int(g.totals.ballots_found),
            turnout: f.pct(g.totals.ballots_found, g.totals.registered_reporting),
            bar: bar_width(g.totals.ballots_found, g.totals.registered_reporting),
        })
        .collect();

    // Reserved seats and quotas.
    let contest_link = |c: &ContestReport| {
        format!("<a href=\"#contest-{}\">{}</a>", escape(&anchor(&c.id)), bdi(&c.name))
    };
    let reserved: Vec<ReservedView> = r
        .contests
        .iter()
        .filter(|c| c.reserved_for.is_some())
        .map(|c| ReservedView {
            contest_html: contest_link(c),
            group: c.reserved_for.clone().unwrap_or_default(),
            seats: f.int(u64::from(c.seats)),
            winners_html: c
                .candidates
                .iter()
                .filter(|k| k.seat.is_some())
                .map(|k| format!("{} ({})", bdi(&k.name), escape(&f.int(k.votes))))
                .collect::<Vec<_>>()
                .join("<br>"),
        })
        .collect();
    let quotas_any = r.contests.iter().any(|c| !c.quotas.is_empty());
    let replaced: u64 =
        r.contests.iter().flat_map(|c| &c.quotas).map(|q| q.replacements.len() as u64).sum();
    let unmet: u64 = r.contests.iter().flat_map(|c| &c.quotas).map(|q| u64::from(q.unmet)).sum();
    let quota_summary = fill(l.quota_summary, &[&f.int(replaced), &f.int(unmet)]);
    let replacements_html = |q: &QuotaRow| -> String {
        if q.replacements.is_empty() {
            return escape(l.none);
        }
        q.replacements
            .iter()
            .map(|(a, b)| fill_html(l.replaces, &[&bdi(a), &bdi(b)]))
            .collect::<Vec<_>>()
            .join("<br>")
    };
    let quota_rows: Vec<QuotaSummaryView> = r
        .contests
        .iter()
        .flat_map(|c| c.quotas.iter().map(move |q| (c, q)))
        .filter(|(_, q)| !q.replacements.is_empty() || q.unmet > 0)
        .map(|(c, q)| QuotaSummaryView {
            contest_html: contest_link(c),
            rule: q.rule.clone(),
            minimum: f.int(u64::from(q.minimum)),
            won_on_votes: f.int(u64::from(q.won_on_votes)),
            replacements_html: replacements_html(q),
            unmet: f.int(u64::from(q.unmet)),
        })
        .collect();

    // Reconciliation.
    let rec = &r.reconciliation;
    let recon_pairs: Vec<PairView> = rec
        .pairs
        .iter()
        .map(|p| PairView {
            phases: fill(l.phase_against, &[phase_name(l, p.to), phase_name(l, p.from)]),
            stations: f.int(p.stations),
            identical: f.int(p.identical),
            within: f.int(p.within_tolerance),
            differ: f.int(p.discrepant),
            votes_changed: f.int(p.votes_changed),
            largest: f.int(p.largest),
        })
        .collect();
    let change_list = |v: &[(String, u64, u64)]| -> String {
        v.iter()
            .map(|(n, a, b)| {
                fill_html(l.votes_change, &[&bdi(n), &escape(&f.int(*a)), &escape(&f.int(*b))])
            })
            .collect::<Vec<_>>()
            .join("<br>")
    };
    let recon_seat_changes: Vec<SeatChangeView> = rec
        .seat_changes
        .iter()
        .map(|c| {
            let mut lost = change_list(&c.lost);
            let mut gained = String::new();
            for (name, a, b) in &c.lists {
                let line = fill_html(l.from_to, &[&escape(&f.int(*a)), &escape(&f.int(*b))]);
                let entry = format!("{} {}", bdi(name), line);
                if b < a {
                    if !lost.is_empty() {
                        lost.push_str("<br>");
                    }
                    lost.push_str(&entry);
                } else {
                    if !gained.is_empty() {
                        gained.push_str("<br>");
                    }
                    gained.push_str(&entry);
                }
            }
            let g = change_list(&c.gained);
            if !g.is_empty() {
                if !gained.is_empty() {
                    gained.push_str("<br>");
                }
                gained.push_str(&g);
            }
            SeatChangeView { contest: c.contest.clone(), lost_html: lost, gained_html: gained }
        })
        .collect();
    let recon_sum_e = if rec.compared > 0 {
        fill(
            if rec.sum_e_below_one { l.sum_e_below } else { l.sum_e_above },
            &[&f.int(rec.compared), &f.decimal_text(&rec.sum_e)],
        )
    } else {
        String::new()
    };
    let recon_tied = if rec.tied_pairs > 0 {
        fill(l.tied_pairs, &[&f.int(rec.tied_pairs)])
    } else {
        String::new()
    };
    let recon_differing: Vec<DifferingView> = rec
        .differing
        .iter()
        .take(DIFFERING_SHOWN)
        .map(|d| DifferingView {
            station: d.station.clone(),
            contest: d.contest.clone(),
            phases: fill(l.phase_against, &[phase_name(l, d.to), phase_name(l, d.from)]),
            class: if d.discrepant { l.class_discrepant } else { l.class_within }.to_owned(),
            largest: f.int(d.largest),
            ballots: fill(l.from_to, &[&f.int(d.ballots.0), &f.int(d.ballots.1)]),
            changes_html: change_list(&d.changes),
        })
        .collect();
    let recon_cut_html = if (recon_differing.len() as u64) < rec.differing_total {
        fill_html(
            l.differing_cut,
            &[
                &escape(&f.int(recon_differing.len() as u64)),
                &escape(&f.int(rec.differing_total)),
                &escape(&r.package),
            ],
        )
    } else {
        String::new()
    };

    // Audit.
    let mut audit_figures = Vec::new();
    let mut audit_contests = Vec::new();
    let mut audit_rounds = Vec::new();
    let mut audit_counts = String::new();
    let mut audit_skipped = String::new();
    let mut audit_next_html = String::new();
    let audit_message_html = match &r.audit {
        AuditSection::NotFound { looked_for } => fill_html(l.audit_not_found, &[&code(looked_for)]),
        AuditSection::Unreadable { path, error } => fill_html(
            l.audit_unreadable,
            &[&code(path), &format!("<span lang=\"en\" dir=\"ltr\">{}</span>", escape(error))],
        ),
        AuditSection::Plan(p) => {
            audit_figures.push(Figure { label: l.audit_file.to_owned(), value: p.file.clone() });
            audit_figures.push(Figure {
                label: l.audit_method.to_owned(),
                value: match p.method.as_str() {
                    "macro" => l.audit_method_macro.to_owned(),
                    "bravo" => l.audit_method_bravo.to_owned(),
                    other => other.to_owned(),
                },
            });
            audit_figures.push(Figure {
                label: l.audit_risk_limit.to_owned(),
                value: f.decimal_text(&p.risk_limit),
            });
            audit_figures.push(Figure {
                label: l.audit_seed.to_owned(),
                value: p.seed.clone().unwrap_or_else(|| l.audit_seed_none.to_owned()),
            });
            audit_figures.push(Figure {
                label: l.audit_rounds.to_owned(),
                value: f.int(p.rounds.len() as u64),
            });
            // Contests by their current status (the latest assessment, else the plan).
            let mut counts: Vec<(String, u64)> = Vec::new();
            for c in &p.contests {
                let s = audit_status(l, c.assessed.as_ref().map_or(&c.status, |a| &a.0));
                match counts.iter_mut().find(|(k, _)| *k == s) {
                    Some(e) => e.1 += 1,
                    None => counts.push((s, 1)),
                }
            }
            audit_counts = fill(
                l.audit_counts,
                &[&counts
                    .iter()
                    .map(|(s, n)| format!("{s} {}", f.int(*n)))
                    .collect::<Vec<_>>()
                    .join(if lang.is_rtl() { "، " } else { ", " })],
            );
            audit_contests = p
                .contests
                .iter()
                .map(|c| AuditContestView {
                    contest: c.contest.clone(),
                    seats: f.int(c.seats),
                    status: audit_status(l, &c.status),
                    ballots: f.int(c.ballots),
                    stations: f.int(c.stations),
                    round_1: opt_int(f, c.round_1),
                    margin: opt_int(f, c.smallest_margin),
                    assessment: c.assessed.as_ref().map_or_else(
                        || "–".to_owned(),
                        |(s, risk, round)| {
                            format!(
                                "{} ({}; {})",
                                audit_status(l, s),
                                f.decimal_text(risk),
                                fill(l.audit_round, &[&f.plain(*round)])
                            )
                        },
                    ),
                })
                .collect();
            if !p.skipped.is_empty() {
                audit_skipped = fill(l.audit_skipped, &[&p.skipped.join(", ")]);
            }
            audit_rounds = p
                .rounds
                .iter()
                .map(|x| RoundView {
                    round: f.plain(x.round),
                    stations: f.int(x.stations),
                    assessed: if x.assessed { l.yes } else { l.no }.to_owned(),
                })
                .collect();
            audit_next_html = if p.seed.is_none() {
                fill_html(l.audit_next_draw, &[&escape(&p.file), &escape(&r.package)])
            } else {
                fill_html(l.audit_verify, &[&escape(&p.file), &escape(&r.package)])
            };
            escape(l.audit_intro)
        }
    };

    // Forensics.
    let mut forensics_figures = Vec::new();
    let mut tests = Vec::new();
    let mut integer_detail = String::new();
    let mut regions = String::new();
    let mut charts = Vec::new();
    let mut flagged_caption = String::new();
    let mut flagged = Vec::new();
    let forensics_run = match &r.forensics {
        ForensicsSection::NotRun => false,
        ForensicsSection::Results(x) => {
            forensics_figures
                .push(Figure { label: l.stations_read.to_owned(), value: f.int(x.stations_read) });
            forensics_figures.push(Figure {
                label: l.stations_tested.to_owned(),
                value: f.int(x.stations_tested),
            });
            forensics_figures.push(Figure { label: l.leader.to_owned(), value: x.leader.clone() });
            tests = x.tests.iter().map(|t| test_view(l, f, t)).collect();
            if let Some(i) = &x.integer {
                integer_detail = integer_line(l, f, i);
            }
            regions = if x.regions_flagged.is_empty() {
                l.regions_none.to_owned()
            } else {
                fill(
                    l.regions_flagged,
                    &[&x.regions_flagged
                        .iter()
                        .map(|g| fill(l.region_z, &[&g.region, &f.fixed(g.z, 1)]))
                        .collect::<Vec<_>>()
                        .join(if lang.is_rtl() { "، " } else { ", " })],
                )
            };
            let chart = |svg_html: String, caption: &str, note: &str| ChartView {
                svg_html,
                caption: caption.to_owned(),
                note: note.to_owned(),
            };
            let text = |title: &str, desc: &str, x_axis: &str, y_axis: &str| ChartText {
                title: title.to_owned(),
                desc: desc.to_owned(),
                x_axis: x_axis.to_owned(),
                y_axis: y_axis.to_owned(),
            };
            charts = vec![
                chart(
                    charts::fingerprint_svg(
                        x.fingerprint_bins,
                        &x.fingerprint,
                        f,
                        &text(
                            l.fingerprint_title,
                            l.fingerprint_desc,
                            l.axis_turnout,
                            l.axis_share,
                        ),
                        "fingerprint",
                    ),
                    l.fingerprint_title,
                    l.fingerprint_desc,
                ),
                chart(
                    charts::histogram_svg(
                        &x.turnout_histogram,
                        f,
                        &text(
                            l.turnout_histogram_title,
                            l.histogram_desc,
                            l.axis_turnout,
                            l.axis_stations,
                        ),
                        "turnout-histogram",
                    ),
                    l.turnout_histogram_title,
                    l.histogram_desc,
                ),
                chart(
                    charts::histogram_svg(
                        &x.share_histogram,
                        f,
                        &text(
                            l.share_histogram_title,
                            l.histogram_desc,
                            l.axis_share,
                            l.axis_stations,
                        ),
                        "share-histogram",
                    ),
                    l.share_histogram_title,
                    l.histogram_desc,
                ),
            ];
            let shown = x.flagged.len().min(FLAGGED_SHOWN);
            flagged_caption =
                fill(l.flagged_caption, &[&f.int(x.flagged_total), &f.int(shown as u64)]);
            flagged = x
                .flagged
                .iter()
                .take(FLAGGED_SHOWN)
                .map(|s| FlaggedView {
                    id: s.id.clone(),
                    region: s.region.clone().unwrap_or_default(),
                    whole_in: match (s.turnout_on_grid, s.share_on_grid) {
                        (true, true) => l.whole_both,
                        (true, false) => l.whole_turnout,
                        _ => l.whole_share,
                    }
                    .to_owned(),
                    turnout: s.turnout.map_or_else(|| "–".to_owned(), |v| f.pct_f(v, 2)),
                    share: s.share.map_or_else(|| "–".to_owned(), |v| f.pct_f(v, 2)),
                    p_html: f.p_value_html(s.null_probability),
                })
                .collect();
            true
        }
    };

    // Ledger.
    let (ledger_found, ledger_message_html, ledger_checkpoint, ledger_verify_html) = match &r.ledger
    {
        LedgerSection::NotFound { looked_for } => (
            false,
            fill_html(l.ledger_not_found, &[&code(looked_for)]),
            String::new(),
            String::new(),
        ),
        LedgerSection::Unreadable { path, error } => (
            false,
            fill_html(
                l.ledger_unreadable,
                &[&code(path), &format!("<span lang=\"en\" dir=\"ltr\">{}</span>", escape(error))],
            ),
            String::new(),
            String::new(),
        ),
        LedgerSection::Found { bundle, checkpoint } => (
            true,
            fill_html(l.ledger_checkpoint, &[&code(bundle)]),
            checkpoint.clone(),
            fill_html(l.ledger_verify, &[&escape(bundle)]),
        ),
    };

    let contests: Vec<ContestView> = r.contests.iter().map(|c| contest_view(l, f, c)).collect();

    let mut about_html = vec![
        fill_html(l.about_generated, &[&escape(&r.generator), &code(&r.command)]),
        escape(l.about_offline),
        escape(l.about_numbers),
        escape(l.about_names),
    ];
    about_html.retain(|s| !s.is_empty());

    Ok(Page {
        lang: lang.tag(),
        dir: lang.dir(),
        l,
        css: CSS,
        title: format!("{} — {}", r.election.name, l.report_title),
        name: r.election.name.clone(),
        meta,
        provisional,
        status,
        toc,
        hemicycle_empty: seats_total == 0,
        hemicycle_html,
        legend_caption: l.legend_caption,
        legend,
        blocs_caption: fill(l.blocs_caption, &[&f.int(votes_total)]),
        blocs,
        blocs_total,
        turnout,
        reporting_bar: bar_width(nation.stations_reporting, nation.stations_expected),
        reporting_text,
        policy,
        governorates,
        reserved,
        quotas_any,
        quota_summary,
        quota_rows,
        recon_show_tolerance: rec.tolerance > 0,
        recon_tolerance: fill(l.tolerance, &[&f.int(rec.tolerance)]),
        recon_pairs,
        recon_seats_unchanged: rec.seat_changes.is_empty(),
        recon_seat_changes,
        recon_sum_e,
        recon_tied,
        recon_differing,
        recon_cut_html,
        audit_message_html,
        audit_figures,
        audit_counts,
        audit_contests,
        audit_skipped,
        audit_rounds,
        audit_next_html,
        forensics_run,
        forensics_figures,
        tests,
        integer_detail,
        regions,
        charts,
        flagged_caption,
        flagged,
        ledger_found,
        ledger_message_html,
        ledger_checkpoint,
        ledger_verify_html,
        contests,
        about_html,
    })
}

/// A fragment id for a contest: letters, digits, `-` and `_` kept, anything else as `_`.
fn anchor(id: &str) -> String {
    id.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect()
}

fn test_view(l: &Labels, f: &Fmt, t: &ForensicTest) -> TestView {
    let english = f.lang == Lang::En;
    let (name, effect_is, assumptions) = match t.name.as_str() {
        "integer_percentages" => (
            l.test_integer_percentages.to_owned(),
            l.effect_integer_percentages.to_owned(),
            l.assumptions_integer_percentages.to_owned(),
        ),
        "last_digit_ballots_issued" | "last_digit_leader_votes" => {
            let issued = t.name == "last_digit_ballots_issued";
            let cut = t
                .assumptions
                .rsplit_once("cut ")
                .map(|(_, c)| c.trim_end_matches('.').to_owned())
                .unwrap_or_default();
            let cut = cut.parse::<u64>().map(|c| f.int(c)).unwrap_or(cut);
            (
                if issued {
                    l.test_last_digit_ballots_issued
                } else {
                    l.test_last_digit_leader_votes
                }
                .to_owned(),
                l.effect_last_digit.to_owned(),
                fill(
                    l.assumptions_last_digit,
                    &[if issued { l.counts_ballots_issued } else { l.counts_leader_votes }, &cut],
                ),
            )
        }
        "protocol_arithmetic" => (
            l.test_protocol_arithmetic.to_owned(),
            l.effect_protocol_arithmetic.to_owned(),
            l.assumptions_protocol_arithmetic.to_owned(),
        ),
        "cross_contest_consistency" => (
            l.test_cross_contest_consistency.to_owned(),
            l.effect_cross_contest_consistency.to_owned(),
            l.assumptions_cross_contest_consistency.to_owned(),
        ),
        // A test this version has no words for: its name and texts as the battery writes them.
        _ => (t.name.clone(), t.effect_is.clone(), t.assumptions.clone()),
    };
    // In English the battery's own words are authoritative; the table's are for Arabic.
    let known = name != t.name;
    let (effect_is, assumptions) = if english && !t.assumptions.is_empty() {
        (t.effect_is.clone(), t.assumptions.clone())
    } else {
        (effect_is, assumptions)
    };
    // The interval on a line of its own keeps the column narrow.
    let effect_html = match (t.effect, t.ci) {
        (Some(e), Some((lo, hi))) => format!(
            "{}<br>[{}, {}]",
            escape(&f.fixed(e, 4)),
            escape(&f.fixed(lo, 4)),
            escape(&f.fixed(hi, 4))
        ),
        (Some(e), None) => escape(&f.fixed(e, 4)),
        _ => "–".to_owned(),
    };
    let p_or = |p: Option<f64>, dash: &str| p.map_or_else(|| escape(dash), |p| f.p_value_html(p));
    TestView {
        name,
        statistic: t.statistic.map_or_else(|| "–".to_owned(), |s| f.fixed(s, 2)),
        p_html: p_or(t.p_value, "–"),
        p_holm_html: p_or(t.p_holm, if t.p_value.is_some() { l.outside_battery } else { "–" }),
        effect_html,
        effect_is,
        assumptions,
        assumptions_lang: if english || known { f.lang.tag() } else { "en" },
    }
}

fn integer_line(l: &Labels, f: &Fmt, x: &IntegerExcess) -> String {
    fill(
        l.integer_detail,
        &[
            &f.fixed(x.observed, 0),
            &f.fixed(x.expected, 1),
            &f.fixed(x.excess, 1),
            &f.fixed(x.z, 2),
        ],
    )
}

fn contest_view(l: &Labels, f: &Fmt, c: &ContestReport) -> ContestView {
    let name = bdi(&c.name);
    let mut figures = vec![
        Figure { label: l.col_seats.to_owned(), value: f.int(u64::from(c.seats)) },
        Figure { label: l.system.to_owned(), value: system_name(l, f, &c.method) },
    ];
    if let Some(g) = &c.governorate {
        figures.push(Figure { label: l.col_governorate.to_owned(), value: g.clone() });
    }
    if let Some(g) = &c.reserved_for {
        figures.push(Figure { label: l.reserved_for.to_owned(), value: g.clone() });
    }
    figures
        .push(Figure { label: l.ballots_found.to_owned(), value: f.int(c.totals.ballots_found) });
    figures.push(Figure {
        label: l.turnout.to_owned(),
        value: f.pct(c.totals.ballots_found, c.totals.registered_reporting),
    });
    figures.push(Figure { label: l.valid_votes.to_owned(), value: f.int(c.totals.votes) });
    if !c.totals.complete() {
        figures.push(Figure {
            label: l.stations_reporting.to_owned(),
            value: fill(
                l.of,
                &[&f.int(c.totals.stations_reporting), &f.int(c.totals.stations_expected)],
            ),
        });
    }
    let has_margins = matches!(c.margin, MarginStatus::Computed(_));
    match c.margin {
        MarginStatus::Computed(Some(m)) => {
            figures.push(Figure { label: l.margin_smallest.to_owned(), value: f.int(m) });
            figures.push(Figure {
                label: l.margin_diluted.to_owned(),
                value: f.ratio(m, c.totals.ballots_found, 6),
            });
        }
        MarginStatus::Computed(None) => {
            figures.push(Figure {
                label: l.margin_smallest.to_owned(),
                value: l.margin_none.to_owned(),
            });
        }
        MarginStatus::NotComputed => figures.push(Figure {
            label: l.margin_smallest.to_owned(),
            value: l.margin_not_computed.to_owned(),
        }),
    }
    let contest_votes: u64 = c.candidates.iter().map(|k| k.votes).sum();
    let candidates = c
        .candidates
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let (won, result_html, margin) = match &k.seat {
                None => (false, String::new(), String::new()),
                Some(s) => {
                    let text = match s.reason {
                        SeatReason::Rank => escape(l.reason_rank),
                        SeatReason::Quota => match &s.replaced {
                            Some(n) => fill_html(l.reason_quota, &[&bdi(n)]),
                            None => escape(l.reason_quota_plain),
                        },
                        SeatReason::Reserved => escape(l.reason_reserved),
                        SeatReason::Lot => escape(l.reason_lot),
                        SeatReason::Leveling => escape(l.reason_leveling),
                        SeatReason::Rcv => escape(l.reason_rcv),
                        SeatReason::List => escape(l.reason_list),
                    };
                    (
                        true,
                        format!("✓ {text}"),
                        if has_margins { opt_int(f, s.margin) } else { String::new() },
                    )
                }
            };
            CandidateView {
                rank: f.plain(i as u64 + 1),
                name: k.name.clone(),
                party: k.party.clone().unwrap_or_else(|| l.independent.to_owned()),
                gender: match k.gender {
                    Gender::Female => l.gender_female,
                    Gender::Male => l.gender_male,
                    Gender::Other => l.gender_other,
                }
                .to_owned(),
                votes: f.int(k.votes),
                share: f.pct(k.votes, contest_votes),
                won,
                result_html,
                margin,
            }
        })
        .collect();
    let list_votes: u64 = c.lists.iter().map(|x| x.votes).sum();
    ContestView {
        anchor: anchor(&c.id),
        heading_html: fill_html(l.contest_heading, &[&name, &escape(&c.id)]),
        figures,
        candidates_caption_html: fill_html(l.candidates_caption, &[&name]),
        candidates,
        has_margins,
        lists_caption_html: fill_html(l.lists_caption, &[&name]),
        lists: c
            .lists
            .iter()
            .map(|x| ListView {
                name: x.name.clone(),
                votes: f.int(x.votes),
                share: f.pct(x.votes, list_votes),
                seats: f.int(x.seats),
                margin: if has_margins { opt_int(f, x.margin) } else { "–".to_owned() },
            })
            .collect(),
        quotas_caption_html: fill_html(l.quotas_caption, &[&name]),
        quotas: c
            .quotas
            .iter()
            .map(|q| QuotaView {
                rule: q.rule.clone(),
                minimum: f.int(u64::from(q.minimum)),
                won_on_votes: f.int(u64::from(q.won_on_votes)),
                replacements_html: if q.replacements.is_empty() {
                    escape(l.none)
                } else {
                    q.replacements
                        .iter()
                        .map(|(a, b)| fill_html(l.replaces, &[&bdi(a), &bdi(b)]))
                        .collect::<Vec<_>>()
                        .join("<br>")
                },
                unmet: f.int(u64::from(q.unmet)),
            })
            .collect(),
        ties_caption_html: fill_html(l.ties_caption, &[&name]),
        ties: c
            .ties
            .iter()
            .map(|t| TieView {
                tied_html: t.candidates.iter().map(|n| bdi(n)).collect::<Vec<_>>().join(", "),
                votes: f.int(t.votes),
                chosen_html: t.chosen.iter().map(|n| bdi(n)).collect::<Vec<_>>().join(", "),
                seed: t.seed.clone(),
            })
            .collect(),
        empty_seats: if c.empty_seats > 0 {
            fill(l.empty_seats, &[&f.int(u64::from(c.empty_seats))])
        } else {
            String::new()
        },
    }
}

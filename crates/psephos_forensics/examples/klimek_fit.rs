//! Fits the Klimek model to a Russian federal election from the conformance store.
//! Usage: klimek_fit YEAR LEADER_SUBSTRING ALPHA [STEP_I STEP_E MAX_E RUNS]

use std::io::{Read, Write};

use psephos_forensics::Station;
use psephos_forensics::klimek::fit;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let year = &a[0];
    let leader = &a[1];
    let alpha: f64 = a[2].parse()?;
    let num = |i: usize, d: f64| a.get(i).map_or(Ok(d), |s| s.parse::<f64>());
    let (step_i, step_e, max_e, runs) = (num(3, 0.02)?, num(4, 0.005)?, num(5, 0.1)?, num(6, 1.0)?);
    let root =
        std::env::var("PSEPHOS_CONFORMANCE").unwrap_or_else(|_| "../shared/conformance".into());
    let file = std::fs::File::open(format!("{root}/forensics/kobak-russia/{year}.csv.zip"))?;
    let mut zip = zip::ZipArchive::new(file)?;
    let mut text = String::new();
    zip.by_index(0)?.read_to_string(&mut text)?;
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = rdr.headers()?.iter().map(str::to_owned).collect();
    let cols = |p: &dyn Fn(&str) -> bool| -> Vec<usize> {
        header.iter().enumerate().filter(|(_, h)| p(h)).map(|(i, _)| i).collect()
    };
    let reg = cols(&|h| h.starts_with("Число избирателей") && h.contains("в список избирателей"));
    let iss = cols(&|h| h.starts_with("Число избирательных бюллетеней, выданных"));
    let fnd = cols(&|h| {
        h.starts_with("Число недействительных избирательных бюллетеней")
            || h.starts_with("Число действительных избирательных бюллетеней")
    });
    let lead = cols(&|h| h.contains(leader.as_str()));
    let mut st = Vec::new();
    for r in rdr.records() {
        let r = r?;
        let n = |i: usize| r.get(i).and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(0);
        st.push(Station {
            registered: n(reg[0]),
            issued: iss.iter().map(|&i| n(i)).sum(),
            found: fnd.iter().map(|&i| n(i)).sum(),
            leader: n(lead[0]),
        });
    }
    let t = std::time::Instant::now();
    let f = fit(&st, alpha, step_i, step_e, max_e, runs as u32, 1);
    writeln!(std::io::stdout(), "{f:?} in {:.2} s", t.elapsed().as_secs_f64())?;
    Ok(())
}

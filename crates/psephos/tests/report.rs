//! `psephos report`: snapshots of the report of a small fixture package (compared byte for
//! byte; `PSEPHOS_BLESS=1` rewrites them, then review the diff), the self-containment check and
//! determinism on the command's own output, and a headless Chromium run over the demo's report
//! in both languages.
//!
//! The browser test needs Debian's `chromium` on PATH (`.ci/run` installs it) and fails without
//! it. It runs `chromium --headless=new --enable-logging=stderr --v=0`: with logging on stderr,
//! Chromium writes every console message of the page as a line with `:CONSOLE` (errors,
//! warnings and logs alike: its level is not written), and the page's Content-Security-Policy
//! (`default-src 'none'`) turns any attempt to load something from outside into such a console
//! message. The report runs no script, so any `:CONSOLE` line fails the test. A canary page
//! that logs an error checks first that this capture works on the machine. A `--dump-dom` run
//! checks that the page Chromium drew is the report (an unreadable file draws an error page, and
//! a screenshot of it too). Screenshots go to `target/report-screenshots/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// A fresh directory under the system's temp dir, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("psephos-report-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else if entry.file_name() != "expected.txt" {
            std::fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}

fn psephos(cwd: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_psephos"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run psephos");
    assert!(
        out.status.success(),
        "psephos {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    out
}

fn snapshot(name: &str, actual: &str) {
    let path = tests_dir().join("report").join(name);
    if std::env::var_os("PSEPHOS_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; PSEPHOS_BLESS=1 writes it", path.display()));
    if expected != actual {
        let at = expected.lines().zip(actual.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "{} differs at line {}:\nexpected: {:?}\nactual:   {:?}\n(PSEPHOS_BLESS=1 rewrites it; review the diff)",
            path.display(),
            at + 1,
            expected.lines().nth(at),
            actual.lines().nth(at)
        );
    }
}

/// The `reserved-seats` fixture (a women's quota, a nationwide and a governorate reserved seat)
/// with a hand count that differs from the electronic count at one station, and the audit plan
/// `psephos audit plan` writes beside it. Returns the scratch directory holding `package/`.
fn fixture() -> Scratch {
    let scratch = Scratch::new("fixture");
    copy_tree(&tests_dir().join("sntv/reserved-seats"), &scratch.0.join("package"));
    std::fs::write(
        scratch.0.join("package/results/D1-manual.csv"),
        "station,contest,phase,version,ballots_found,blank,invalid,A1,A2,A3,X1,X2\nS1,D1,manual,1,132,1,1,41,34,20,10,25\n",
    )
    .unwrap();
    psephos(
        &scratch.0,
        &["audit", "plan", "package", "--risk-limit", "0.05", "--out", "audit-plan.json"],
    );
    scratch
}

#[test]
fn fixture_report_snapshots() {
    let dir = fixture();
    for lang in ["en", "ar"] {
        let out = format!("report-{lang}.html");
        psephos(&dir.0, &["report", "package", "--out", &out, "--lang", lang, "-q"]);
        let html = std::fs::read_to_string(dir.0.join(&out)).unwrap();
        snapshot(&format!("reserved-seats-{lang}.html"), &html);
    }
}

#[test]
fn reports_are_self_contained_and_deterministic() {
    let dir = fixture();
    for lang in ["en", "ar"] {
        psephos(&dir.0, &["report", "package", "--out", "a.html", "--lang", lang, "-q"]);
        psephos(&dir.0, &["report", "package", "--out", "b.html", "--lang", lang, "-q"]);
        let a = std::fs::read(dir.0.join("a.html")).unwrap();
        let b = std::fs::read(dir.0.join("b.html")).unwrap();
        assert!(a == b, "two runs differ ({lang})");
        let html = String::from_utf8(a).unwrap();
        assert_eq!(psephos_report::check::external_references(&html), Vec::<String>::new());
        // Every section is there, and the absent ledger says so in one line.
        for id in [
            "seats",
            "blocs",
            "turnout",
            "quotas",
            "reconciliation",
            "audit",
            "forensics",
            "ledger",
            "districts",
        ] {
            assert!(html.contains(&format!("<section id=\"{id}\"")), "{lang}: section {id}");
        }
    }
    psephos(&dir.0, &["report", "package", "--out", "en.html", "-q"]);
    let en = std::fs::read_to_string(dir.0.join("en.html")).unwrap();
    assert!(en.contains("No ledger was found (<code dir=\"ltr\">bundle/log/checkpoint</code>)"));
    assert!(en.contains("<dt>State file</dt><dd><bdi>audit-plan.json</bdi></dd>"));
    // The hand count's difference is listed.
    assert!(en.contains("hand count against electronic count"));
}

#[test]
fn missing_options_and_errors() {
    let dir = fixture();
    // An unreadable audit file is reported in its section; the report is still written.
    std::fs::write(dir.0.join("broken.json"), "{ not json").unwrap();
    psephos(&dir.0, &["report", "package", "--out", "r.html", "--audit", "broken.json", "-q"]);
    let html = std::fs::read_to_string(dir.0.join("r.html")).unwrap();
    assert!(
        html.contains(
            "The audit state file <code dir=\"ltr\">broken.json</code> could not be read"
        )
    );
    // The report quotes the command that wrote it, options included, without --out.
    assert!(
        html.contains(
            "<code dir=\"ltr\">psephos report package --audit broken.json --lang en</code>"
        )
    );
    // An output that cannot be written: exit 3.
    let out = Command::new(env!("CARGO_BIN_EXE_psephos"))
        .args(["report", "package", "--out", "no/such/dir/r.html", "-q"])
        .current_dir(&dir.0)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}

/// Runs Chromium with a time limit; returns its output. Its pipes are drained while it runs
/// (a page's DOM is larger than a pipe's buffer).
fn chromium(args: &[String]) -> Output {
    use std::io::Read;
    let mut child = Command::new("chromium")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run chromium ({e}): the browser test needs Debian's chromium on PATH \
                 (apt-get install -y chromium; .ci/run installs it)"
            )
        });
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let start = Instant::now();
    let status = loop {
        match child.try_wait().expect("wait for chromium") {
            Some(status) => break status,
            None if start.elapsed() > Duration::from_secs(180) => {
                let _ = child.kill();
                panic!("chromium did not finish within 180 s: {args:?}");
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

fn chromium_args(profile: &Path, extra: &[String], page: &Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.extend(extra.iter().cloned());
    args.push(format!("file://{}", page.display()));
    args
}

/// The page's console messages in Chromium's stderr log.
fn console_lines(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn browser_renders_the_demo_report_without_console_errors() {
    let version = Command::new("chromium").arg("--version").output();
    assert!(
        version.as_ref().is_ok_and(|o| o.status.success()),
        "chromium is not on PATH: this test opens the report in headless Chromium. Install \
         Debian's package (apt-get install -y chromium); .ci/run installs it when missing."
    );
    let scratch = Scratch::new("browser");
    let dir = scratch.0.canonicalize().unwrap();
    // The demo: every section has data (seats, hand counts, the audit plan, the ledger).
    psephos(&dir, &["demo", "--out", "demo", "--stations", "600", "--candidates", "800", "-q"]);
    let shots = PathBuf::from(env!("CARGO_BIN_EXE_psephos"))
        .parent()
        .and_then(Path::parent)
        .map(|target| target.join("report-screenshots"))
        .unwrap();
    std::fs::create_dir_all(&shots).unwrap();

    // The canary: a page that logs an error must show up in the log, or the check is blind.
    let canary = dir.join("canary.html");
    std::fs::write(
        &canary,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>canary</title></head><body><script>console.error('psephos-canary')</script></body></html>",
    )
    .unwrap();
    let out =
        chromium(&chromium_args(&dir.join("profile-canary"), &["--dump-dom".to_owned()], &canary));
    let lines = console_lines(&out.stderr);
    assert!(
        lines.iter().any(|l| l.contains("psephos-canary")),
        "the console capture does not work here: Chromium's log has no :CONSOLE line for the canary\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    for lang in ["en", "ar"] {
        let page = dir.join(format!("report-{lang}.html"));
        let page_arg = page.display().to_string();
        psephos(&dir, &["report", "demo/package", "--out", &page_arg, "--lang", lang, "-q"]);
        std::fs::copy(&page, shots.join(format!("demo-{lang}.html"))).unwrap();
        let shot = shots.join(format!("demo-{lang}.png"));
        let _ = std::fs::remove_file(&shot);
        let out = chromium(&chromium_args(
            &dir.join(format!("profile-{lang}")),
            &[format!("--screenshot={}", shot.display()), "--window-size=1280,2000".to_owned()],
            &page,
        ));
        assert!(
            out.status.success(),
            "chromium failed ({lang}): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let console = console_lines(&out.stderr);
        assert!(
            console.is_empty(),
            "console messages in the {lang} report:\n{}",
            console.join("\n")
        );
        let png = std::fs::read(&shot).unwrap_or_default();
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
            "no screenshot at {}",
            shot.display()
        );

        let out = chromium(&chromium_args(
            &dir.join(format!("profile-dom-{lang}")),
            &["--dump-dom".to_owned()],
            &page,
        ));
        let console = console_lines(&out.stderr);
        assert!(
            console.is_empty(),
            "console messages in the {lang} report:\n{}",
            console.join("\n")
        );
        let dom = String::from_utf8_lossy(&out.stdout);
        let dir_attr = if lang == "ar" { "rtl" } else { "ltr" };
        assert!(
            dom.contains(&format!("<html lang=\"{lang}\" dir=\"{dir_attr}\">"))
                && dom.contains("Council of Representatives of Iraq")
                && dom.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"hemicycle\""),
            "Chromium did not draw the {lang} report"
        );
    }
}

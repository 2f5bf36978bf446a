//! Command-line arguments: parsing and checking only; `main` and the commands do the work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "psephos",
    version,
    about = "Election results you can check: validate station forms, tabulate exactly, allocate seats by law.",
    long_about = "psephos reads an election package (the law in election.toml, CSV tables of contests, parties, \
coalitions, candidates and polling stations) and its station result forms, reports every problem in them, \
totals them exactly and allocates seats as the law says.\n\n\
Exit codes: 0 success; 1 the input has errors (each one reported); 2 bad command line; 3 an output file or directory could not be written.",
    after_help = "Start with `psephos demo --out demo` for a realistic example, or `psephos init --template iraq-2021 DIR` for an empty package."
)]
pub(crate) struct Cli {
    /// Do not draw progress bars.
    #[arg(long, short, global = true)]
    pub(crate) quiet: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Check a package and its result forms; report every problem with its file, line and code.
    Validate(PackageArgs),
    /// Total the votes exactly: per candidate, party, coalition, contest, governorate and nation.
    Tabulate(TabulateArgs),
    /// Allocate seats under the package's law, saying why each seat was won.
    Allocate(AllocateArgs),
    /// Divide seats among parties from a plain `party,votes` CSV by a divisor or quota method.
    Apportion(ApportionArgs),
    /// Count ranked ballots (instant-runoff, STV): an RCTab contest configuration as is.
    Rcv(RcvArgs),
    /// Compare counting phases station by station and say whether the hand counts change a seat.
    Reconcile(ReconcileArgs),
    /// The smallest change of votes that changes each seat, and each contest's diluted margin.
    Margins(MarginsArgs),
    /// Test station-level results for signs of manipulation, each test with its null model.
    Forensics(ForensicsArgs),
    /// Risk-limiting audits: draw a seeded sample, or size an audit.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The tamper-evident ledger: init, append, checkpoint, prove, export a bundle.
    #[command(subcommand)]
    Ledger(crate::ledger::LedgerCommand),
    /// Verify a published bundle: every signature, record, checkpoint, total and seat.
    Verify(crate::ledger::VerifyArgs),
    /// Export the counted election: NIST SP 1500-100 v2 Election Results Reporting JSON.
    Export(crate::export::ExportArgs),
    /// Write the results report: one self-contained HTML file with charts, in English or Arabic.
    Report(crate::report::ReportArgs),
    /// Write a new election package from a template.
    Init(InitArgs),
    /// Build a synthetic election shaped like Iraq's of 2021, then validate, tabulate and allocate it.
    Demo(DemoArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Args)]
pub(crate) struct PackageArgs {
    /// The election package: a directory with election.toml at its root.
    pub(crate) package: PathBuf,
    /// More result files or directories, read with the package's own.
    #[arg(long = "results", value_name = "PATH")]
    pub(crate) results: Vec<PathBuf>,
    /// Which phase's form counts per station: `latest` (correction > recount > manual >
    /// electronic), one phase, or a precedence list such as `manual,electronic`. Default: the
    /// package's [phases] precedence.
    #[arg(long, value_name = "POLICY")]
    pub(crate) phase: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
    /// Write the output to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct TabulateArgs {
    #[command(flatten)]
    pub(crate) common: PackageArgs,
    /// The level to print as a table or CSV (JSON always has every level). Default: a summary
    /// of the nation, governorates and coalitions for tables, candidates for CSV.
    #[arg(long, value_enum)]
    pub(crate) level: Option<Level>,
    /// Set aside forms with errors (listed) and tabulate the rest, instead of stopping.
    #[arg(long)]
    pub(crate) quarantine: bool,
}

#[derive(Args)]
pub(crate) struct AllocateArgs {
    #[command(flatten)]
    pub(crate) common: PackageArgs,
    /// List every seat (table format), not only the totals by bloc.
    #[arg(long)]
    pub(crate) seats: bool,
    /// Set aside forms with errors (listed) and allocate from the rest, instead of stopping.
    #[arg(long)]
    pub(crate) quarantine: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Level {
    Nation,
    Governorate,
    Contest,
    Coalition,
    Party,
    Candidate,
}

#[derive(Args)]
pub(crate) struct ApportionArgs {
    /// A CSV file with the columns `party,votes` (other columns are ignored).
    pub(crate) file: PathBuf,
    /// The method: dhondt, sainte-lague, modified-sainte-lague, huntington-hill, adams, dean,
    /// danish, imperiali, hare, droop, hagenbach-bischoff, hagenbach-bischoff-rounded,
    /// imperiali-quota.
    #[arg(long)]
    pub(crate) method: String,
    /// Seats to divide.
    #[arg(long)]
    pub(crate) seats: u64,
    /// First divisor of modified-sainte-lague (Norway 1.4, Sweden 1.2, Iraq 1.7). Default 1.4.
    #[arg(long, value_name = "X")]
    pub(crate) first_divisor: Option<String>,
    /// Threshold in percent of the valid votes (the parties' votes plus --threshold-extra-valid).
    #[arg(long, value_name = "PCT")]
    pub(crate) threshold: Option<String>,
    /// Valid ballots that go to no party but count in the threshold's base (Spain's blank ballots).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) threshold_extra_valid: u64,
    /// How ties are settled: a lot, or the party with more votes first (then a lot).
    #[arg(long, value_enum, default_value_t = TieArg::Lot)]
    pub(crate) ties: TieArg,
    /// The seed of the lot: record it with the result so anyone can replay a tie.
    #[arg(long, default_value = "psephos apportion")]
    pub(crate) seed: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
    /// Write the output to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct RcvArgs {
    /// A ballot file to count directly: BLT (`.blt`) or PrefLib (`.soi`, `.toi`, `.soc`,
    /// `.toc`). Not with --rctab-config.
    pub(crate) ballots: Option<PathBuf>,
    /// An RCTab contest configuration (`*_config.json`): its CVR sources, candidates and rules
    /// are read as RCTab reads them.
    #[arg(long, value_name = "FILE", conflicts_with = "ballots")]
    pub(crate) rctab_config: Option<PathBuf>,
    /// How to count a ballot file: instant-runoff (irv), STV with RCTab's fractional transfer
    /// (stv), Scottish STV (scottish-stv), Meek STV in 9-decimal fixed point as stv-rs and
    /// Droop count it (meek), or the Irish Dáil rules with whole papers (irish).
    #[arg(long, value_enum, default_value_t = RcvMethod::Irv)]
    pub(crate) method: RcvMethod,
    /// Seats to fill. Default: the ballot file's, else 1.
    #[arg(long)]
    pub(crate) seats: Option<u32>,
    /// Ties that earlier rounds do not settle: the candidate listed first in the ballot file
    /// (order), or a lot drawn from --seed (lot).
    #[arg(long, value_enum, default_value_t = RcvTiebreak::Order)]
    pub(crate) tiebreak: RcvTiebreak,
    /// Seed of the lot: a whole number for irv and stv (Java's random generator, as RCTab), any
    /// text for scottish-stv and irish (SHA-256 tickets).
    #[arg(long, default_value = "0")]
    pub(crate) seed: String,
    /// Output format on standard output: a table, psephos's JSON, RCTab's summary JSON (urcvt)
    /// or its CSV (urcvt and csv for irv and stv only).
    #[arg(long, value_enum, default_value_t = RcvFormat::Table)]
    pub(crate) format: RcvFormat,
    /// Write RCTab's result files (detailed JSON and CSV, summary CSV, per-precinct and
    /// per-batch reports, and the CDF JSON of the records when the config sets
    /// generateCdfJson) into this directory instead.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// With --rctab-config: convert the cast vote records instead of counting them, record by
    /// record, to RCTab's CSV (`<stem>_rctab_cvr.csv`) or NIST CDF JSON (`<stem>_cdf_cvr.json`),
    /// written into --out, else to standard output.
    #[arg(long, value_enum, value_name = "FORMAT", requires = "rctab_config")]
    pub(crate) convert_to: Option<ConvertTo>,
    /// Meek: count equal preferences (`a=b`) as the average over their orders (stv-rs
    /// --equalize), instead of Droop's recursive descent.
    #[arg(long)]
    pub(crate) equalize: bool,
    /// Meek: sum only the positive surpluses (stv-rs --force-positive-surplus).
    #[arg(long)]
    pub(crate) force_positive_surplus: bool,
    /// Meek: omega = 10^-N, the surplus below which iteration stops.
    #[arg(long, value_name = "N", default_value_t = 6)]
    pub(crate) omega_exponent: u32,
    /// Irish: which papers of a surplus move: those last filed in each sub-parcel (last), those
    /// first filed (first), or every paper of the examined parcel at surplus ÷ transferable
    /// (fraction).
    #[arg(long, value_enum, value_name = "PAPERS", default_value_t = IrishPapers::Last)]
    pub(crate) irish_papers: IrishPapers,
    /// Irish: exclude one candidate per count, never the lowest together.
    #[arg(long)]
    pub(crate) no_multiple_exclusion: bool,
    /// Irish: defer surpluses while their total is below the gap between the two lowest
    /// continuing candidates.
    #[arg(long)]
    pub(crate) defer_surpluses: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum IrishPapers {
    Last,
    First,
    Fraction,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum RcvMethod {
    Irv,
    Stv,
    ScottishStv,
    Meek,
    Irish,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ConvertTo {
    /// RCTab's "convert to CSV" (`rctab_cvr.csv`).
    Csv,
    /// RCTab's "convert to CDF" (`cdf_cvr.json`, NIST SP 1500-103).
    Cdf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum RcvTiebreak {
    Order,
    Lot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum RcvFormat {
    Table,
    Json,
    Urcvt,
    Csv,
    /// The count's transcript as stv-rs writes it (meek only).
    Transcript,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum TieArg {
    Lot,
    MostVotes,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Template {
    /// Iraq, Council of Representatives, 2021: 83 SNTV districts with a woman per district and 9 reserved minority seats.
    #[value(name = "iraq-2021")]
    Iraq2021,
    /// Iraq, Council of Representatives, 2018: 18 governorates by open-list PR (modified Sainte-Laguë 1.7, a woman per four list seats) and 9 reserved minority seats.
    #[value(name = "iraq-2018")]
    Iraq2018,
    /// Spain, Congreso: 52 provinces, closed lists, D'Hondt, 3 % of valid votes including blank.
    #[value(name = "spain")]
    Spain,
    /// Norway, Storting: 19 counties, modified Sainte-Laguë 1.4, 19 leveling seats over 4 %.
    #[value(name = "norway")]
    Norway,
    /// United States, House: 435 single-member districts, apportioned among the 50 states by
    /// Huntington-Hill on the 2020 census.
    #[value(name = "us-house")]
    UsHouse,
    /// Germany, Bundestag 2017: 299 constituencies and 16 Land lists, Sainte-Laguë, 5 % or 3
    /// constituencies, Land contingents by population, overhang leveled.
    #[value(name = "bundestag-2017")]
    Bundestag2017,
}

#[derive(Args)]
pub(crate) struct InitArgs {
    /// The template to start from.
    #[arg(long, value_enum)]
    pub(crate) template: Template,
    /// The directory to write the package into (created if missing).
    pub(crate) dir: PathBuf,
    /// Overwrite an existing package in DIR.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Args)]
pub(crate) struct DemoArgs {
    /// Where to write the package (DIR/package) and the seats (DIR/seats.json).
    #[arg(long, default_value = "psephos-demo", value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// Seed of every random draw: the same seed gives the same election, byte for byte.
    #[arg(long, default_value_t = 7)]
    pub(crate) seed: u64,
    /// Number of polling stations (Iraq 2021: about 55,000; try 1000000 for an India-sized run).
    #[arg(long, default_value_t = psephos_synth::DemoConfig::IRAQ_STATIONS)]
    pub(crate) stations: u64,
    /// Number of candidates (Iraq 2021: 3,249); fewer make narrower ballots.
    #[arg(long, default_value_t = psephos_synth::DemoConfig::IRAQ_CANDIDATES)]
    pub(crate) candidates: u32,
    /// Plant ballot stuffing in this percent of the stations (0-100; default 0, a clean
    /// election): the leading candidate's ballots are added until the turnout lands on a whole
    /// percentage 5 to 25 points higher. For testing forensic tools.
    #[arg(long, value_name = "PERCENT", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=100))]
    pub(crate) stuffing: u32,
    /// Output format of the seat table.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
}

#[derive(Args)]
pub(crate) struct ForensicsArgs {
    /// An election package (a directory), or a CSV table with one row per polling station.
    pub(crate) table: PathBuf,
    /// The column of registered voters (CSV). Every count option may be repeated: the columns
    /// are added up.
    #[arg(long, value_name = "COL")]
    pub(crate) registered: Vec<String>,
    /// The column of ballots issued (turnout is ballots issued over registered voters), e.g.
    /// three times for Russia's early, in-station and outside-station ballots (CSV).
    #[arg(long, value_name = "COL")]
    pub(crate) ballots_issued: Vec<String>,
    /// The column of ballots found in the boxes (the leader's share is over it), e.g. valid and
    /// invalid. Default: the ballots issued (CSV).
    #[arg(long, value_name = "COL")]
    pub(crate) ballots_found: Vec<String>,
    /// The column of the leader's votes (CSV).
    #[arg(long, value_name = "COL")]
    pub(crate) leader: Vec<String>,
    /// A column grouping stations into regions, for the regional breakdown.
    #[arg(long, value_name = "COL")]
    pub(crate) region: Option<String>,
    /// A column naming the stations.
    #[arg(long, value_name = "COL")]
    pub(crate) id: Option<String>,
    /// Same-area comparison: the column of areas (e.g. territorial commissions).
    #[arg(long, value_name = "COL")]
    pub(crate) area: Option<String>,
    /// Same-area comparison: the column telling the kinds of station apart (e.g. scanner or
    /// hand count).
    #[arg(long, value_name = "COL")]
    pub(crate) compare: Option<String>,
    /// Same-area comparison: the value of --compare that marks the reference stations (e.g.
    /// the scanner-counted ones); the others are compared with them, area by area.
    #[arg(long, value_name = "VALUE")]
    pub(crate) reference: Option<String>,
    /// Seed of the simulations: the spikes test's fit and resamples, the same-area bootstrap,
    /// the Klimek model's simulations and the Monte Carlo intervals.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Fit Klimek et al.'s fraud model with this α (the share of opponents' votes taken grows
    /// as x^α; Klimek's fits: 1.5 to 2.5) and report the incremental and extreme fraud shares
    /// (descriptive, with the loss).
    #[arg(long, value_name = "ALPHA")]
    pub(crate) klimek: Option<f64>,
    /// Resamples of Rozenas' resampled kernel-density "spikes" test (seeded by --seed), part of
    /// the battery: the estimated share of stations in excess spikes of the leader share. 0
    /// leaves the test out.
    #[arg(long, value_name = "B", num_args = 0..=1, default_value_t = 1000, default_missing_value = "1000")]
    pub(crate) spikes: usize,
    /// Last-digit tests keep counts of at least this value (in the data and the null alike).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub(crate) min_value: u64,
    /// How many stations to list in the ranking (stations whose integer turnout or share was
    /// least likely under their own null).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub(crate) rank: usize,
    /// Write every flagged station, least likely first, to this CSV (id, region, line, reason,
    /// null_probability): targeted, non-random additions for an audit plan, never proof.
    #[arg(long, value_name = "FILE")]
    pub(crate) targets: Option<PathBuf>,
    /// Draw the descriptive pictures into this directory: fingerprint.svg (turnout × leader's
    /// share, 1 % cells), turnout.svg and share.svg (0.1 % bins, whole percentages marked).
    #[arg(long, value_name = "DIR")]
    pub(crate) svg: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ForensicsFormat::Table)]
    pub(crate) format: ForensicsFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ForensicsFormat {
    Table,
    Json,
}

#[derive(Subcommand)]
pub(crate) enum AuditCommand {
    /// Plan a station-level audit (MACRO, PPEB): package digests, assertions, error bounds and
    /// the round-1 size per contest; writes the audit's state file.
    Plan(crate::audit_workflow::PlanArgs),
    /// Draw the next round's stations from a public seed (weighted consistent sampler).
    Draw(crate::audit_workflow::DrawArgs),
    /// Record hand counts (manual or recount forms) of sampled stations.
    Record(crate::audit_workflow::RecordArgs),
    /// Measure the risk per contest: confirmed, another round, or a full hand count.
    Assess(crate::audit_workflow::AssessArgs),
    /// Recompute every section of the state file and report the first difference.
    Verify(crate::audit_workflow::VerifyArgs),
    /// Draw ids with Rivest's consistent sampler (bit-exact with Python `consistent-sampler`,
    /// as Arlo uses it) from a public seed; prints the draws in order.
    Sample(AuditSampleArgs),
    /// Sample sizes from reported totals: BRAVO (ballot polling), Kaplan-Markov (ballot
    /// comparison) or MACRO (polling-station comparison).
    Size(AuditSizeArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum AuditFormat {
    Json,
    Csv,
    Table,
}

#[derive(Args)]
pub(crate) struct AuditSampleArgs {
    /// The public seed (e.g. 20 dice rolled in public), hashed as UTF-8 text.
    #[arg(long)]
    pub(crate) seed: String,
    /// File of ids, one per line (ballots, stations; empty lines are skipped). Arlo's ballot ids
    /// are written as Python prints them, e.g. `('pct 2', 3)`.
    #[arg(long, value_name = "FILE")]
    pub(crate) ids: PathBuf,
    /// Number of draws to print.
    #[arg(long, value_name = "K")]
    pub(crate) count: usize,
    /// Skip this many draws first (those of earlier rounds).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) drop: usize,
    /// Draw with replacement (an id may come up again, with generation 2, 3, ...).
    #[arg(long)]
    pub(crate) with_replacement: bool,
    /// Print tickets trimmed to D digits after their leading 9s (Arlo: 18). Draw order always
    /// uses the full tickets. Default: full tickets.
    #[arg(long, value_name = "D")]
    pub(crate) digits: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Json)]
    pub(crate) format: AuditFormat,
    /// Write the output to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SizeMethod {
    Bravo,
    KaplanMarkov,
    Macro,
    /// Ballot polling with ALPHA (SHANGRLA's shrink_trunc), sized by seeded simulation.
    Alpha,
    Minerva,
    /// Providence's first round is Minerva's.
    Providence,
    /// Card-level comparison with ALPHA (optimal_comparison), sized by seeded simulation with
    /// Arlo's error rates.
    Clca,
}

#[derive(Args)]
pub(crate) struct AuditSizeArgs {
    /// bravo: ballots to poll (ASN and 0.7/0.8/0.9 stopping quantiles); kaplan-markov: ballots
    /// to compare (Arlo's rates 0.001/0.0001, and nmin); macro: stations to hand count; alpha:
    /// ballots to poll, simulated; minerva, providence: first-round ballots for stopping
    /// probabilities 0.7/0.8/0.9; clca: ballots to compare, simulated.
    #[arg(long, value_enum)]
    pub(crate) method: SizeMethod,
    /// The risk limit: a fraction (0.05) or a percentage (5%).
    #[arg(long, value_name = "A")]
    pub(crate) risk_limit: String,
    /// Reported votes per candidate, comma-separated: W,L[,OTHERS...].
    #[arg(long, value_name = "W,L[,...]")]
    pub(crate) votes: String,
    /// Ballots cast (undervotes and invalid ballots included).
    #[arg(long, value_name = "N")]
    pub(crate) ballots: u64,
    /// Number of winners (the candidates with most votes).
    #[arg(long, default_value_t = 1)]
    pub(crate) winners: usize,
    /// macro: number of polling stations (ballots and votes taken as spread evenly).
    #[arg(long, value_name = "S")]
    pub(crate) stations: Option<u64>,
    /// alpha, clca: simulated audits (each replicate draws a population from the reported
    /// shares and audits it until it stops).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub(crate) reps: u32,
    /// alpha, clca: the simulation's seed (any text; published with the result).
    #[arg(long, default_value = "0")]
    pub(crate) seed: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Json)]
    pub(crate) format: AuditFormat,
    /// Write the output to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct ReconcileArgs {
    #[command(flatten)]
    pub(crate) common: PackageArgs,
    /// The largest difference of one count (a candidate's votes, ballots found, blank or
    /// invalid) still tolerated: such stations are "within tolerance", not "discrepant".
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) tolerance: u64,
    /// Set aside forms with errors (listed) and reconcile the rest, instead of stopping.
    #[arg(long)]
    pub(crate) quarantine: bool,
}

#[derive(Args)]
pub(crate) struct MarginsArgs {
    #[command(flatten)]
    pub(crate) common: PackageArgs,
    /// Set aside forms with errors (listed) and compute from the rest, instead of stopping.
    #[arg(long)]
    pub(crate) quarantine: bool,
}

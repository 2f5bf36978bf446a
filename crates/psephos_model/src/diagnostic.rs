//! Problems found in the input, with stable codes.
//!
//! Codes never change meaning once published; `docs/diagnostics.md` explains each one and what a
//! clerk should do about it. A diagnostic prints as
//! `file:line: CODE station=ID: message`.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The input is wrong; nothing is tabulated until it is fixed.
    Error,
    /// Worth a look; does not stop tabulation.
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $name:literal, $sev:ident, $doc:literal;)*) => {
        /// A stable diagnostic code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(#[doc = $doc] $variant,)*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as printed, e.g. `E401`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// A short kebab-case name, e.g. `arithmetic`.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev,)* }
            }

            /// One-sentence description, as in `docs/diagnostics.md`.
            pub fn description(self) -> &'static str {
                match self { $(Code::$variant => $doc,)* }
            }
        }
    };
}

codes! {
    // The package definition.
    MissingFile = "E001", "missing-file", Error, "A file the package needs is missing or cannot be read.";
    TomlSyntax = "E002", "toml-syntax", Error, "election.toml is not valid TOML, or a key is unknown, missing or of the wrong type.";
    CsvSyntax = "E003", "csv-syntax", Error, "A CSV file is malformed: bad quoting, invalid UTF-8, or a row whose number of fields differs from the header.";
    MissingColumn = "E004", "missing-column", Error, "A table lacks a column it must have.";
    DuplicateId = "E005", "duplicate-id", Error, "An id appears twice in a table.";
    UnknownReference = "E006", "unknown-reference", Error, "A table refers to an id that is not defined.";
    InvalidValue = "E007", "invalid-value", Error, "A value in the package definition is not allowed (empty id, unknown gender, seats not a positive whole number, ...).";
    InconsistentDefinition = "E008", "inconsistent-definition", Error, "Two parts of the package definition contradict each other.";
    ContestWithoutStations = "W009", "contest-without-stations", Warning, "Nobody can vote in a contest: it has no polling station, or none in its electorate.";
    TooFewCandidates = "W010", "too-few-candidates", Warning, "A contest has fewer candidates than seats; some seats will stay empty.";
    EmptySeed = "W011", "empty-seed", Warning, "A tie seed is empty: record the seed drawn in public before the count, so that any lot can be replayed.";
    // The shape of result files.
    ResultsLayout = "E101", "results-layout", Error, "A results file's header is neither the wide nor the long layout.";
    JsonSyntax = "E103", "json-syntax", Error, "A JSON results file is malformed or a form lacks a field.";
    UnusedColumn = "W106", "unused-column", Warning, "A wide results file has a column that is not a candidate id (or repeats one), and no form fills it; the column is ignored.";
    IgnoredFile = "W107", "ignored-file", Warning, "A file among the results is not a .csv, .json or .jsonl file and was not read.";
    DuplicateEntry = "E104", "duplicate-entry", Error, "A column, candidate or ballot count appears twice where it may appear once.";
    MissingValue = "E105", "missing-value", Error, "A required value is empty or absent.";
    // Values.
    NotANumber = "E201", "not-a-number", Error, "A count is not a whole number.";
    Negative = "E202", "negative", Error, "A count is negative.";
    TooLarge = "E203", "too-large", Error, "A count exceeds 4,294,967,295.";
    UnknownPhase = "E204", "unknown-phase", Error, "The phase is not electronic, manual, recount or correction.";
    BadVersion = "E205", "bad-version", Error, "The version is not a whole number of at least 1.";
    // References from forms to the package.
    UnknownStation = "E301", "unknown-station", Error, "The form names a station that is not in stations.csv.";
    UnknownContest = "E302", "unknown-contest", Error, "The form names a contest that is not in contests.csv.";
    UnknownCandidate = "E303", "unknown-candidate", Error, "The form names a candidate that is not in candidates.csv.";
    CandidateNotOnBallot = "E304", "candidate-not-on-ballot", Error, "The form gives votes to a candidate who does not stand in that contest (is not on that ballot).";
    MissingCandidate = "E305", "missing-candidate", Error, "The form has no count for a candidate who is on its ballot.";
    WrongContest = "E306", "wrong-contest", Error, "The station does not count that contest's ballot.";
    // Consistency of a form and between forms.
    Arithmetic = "E401", "arithmetic", Error, "Candidate votes + blank + invalid do not add up to the ballots found.";
    BallotsAboveRegistered = "E402", "ballots-above-registered", Error, "More ballots were found than the station has registered voters.";
    VotesAboveRegistered = "E403", "votes-above-registered", Error, "A candidate has more votes than the station has registered voters.";
    ConflictingDuplicate = "E404", "conflicting-duplicate", Error, "The same form (station, contest, phase, version) was submitted twice with different numbers.";
    IdenticalDuplicate = "W405", "identical-duplicate", Warning, "The same form was submitted twice with the same numbers; it counts once.";
    MissingStation = "W406", "missing-station", Warning, "A station has no form that the phase policy accepts.";
    // Cast-vote records and ballot files (ranked ballots).
    CvrConfig = "E501", "cvr-config", Error, "A CVR source of the RCTab config is invalid: an unknown provider, a missing path, a setting missing, out of range or not allowed for its provider, or labels that clash.";
    CvrMissingFile = "E502", "cvr-missing-file", Error, "A CVR file or folder, or a BLT or PrefLib ballot file, is missing or cannot be read, or a folder holds none of the files its provider needs.";
    CvrSyntax = "E503", "cvr-syntax", Error, "A CVR file is not valid for its format: not an xlsx workbook, malformed XML, JSON or CSV, or a value of the wrong type.";
    CvrStructure = "E504", "cvr-structure", Error, "A CVR file lacks what its reader needs or refers to something it does not define: a header, the contest, a manifest entry, a selection, a precinct unit.";
    CvrBadRank = "E505", "cvr-bad-rank", Error, "A rank in a CVR is not a whole number, or is less than 1.";
    CvrRankLimit = "E506", "cvr-rank-limit", Error, "A CVR ranks a candidate beyond the contest's maxRankingsAllowed.";
    CvrInvalidRecord = "E507", "cvr-invalid-record", Error, "A cast-vote record is malformed: a delimited cell with an empty or skipped part, a missing ballot id, a ranking in a column the header does not name.";
    CvrMissingSlice = "W508", "cvr-missing-slice", Warning, "A cast-vote record has no precinct or batch id although the source names a column for it; it is grouped under a placeholder.";
    CvrSkippedRecord = "W509", "cvr-skipped-record", Warning, "A cast-vote record was left out, as RCTab leaves it out (no adjudicated rankings, no entry for the contest).";
    CvrNoRecords = "E510", "cvr-no-records", Error, "A CVR source, or the whole config, yields no cast-vote record.";
    CvrUnsupported = "E511", "cvr-unsupported", Error, "A CVR source asks for something psephos does not do: signature validation, a file type its provider cannot read.";
    CvrSetting = "W512", "cvr-setting", Warning, "A CVR setting is ignored or read differently from RCTab 2.0.1; the message says how.";
    CvrUnknownCandidate = "E513", "cvr-unknown-candidate", Error, "A cast-vote record names a candidate that the config neither names nor aliases.";
    BallotFileSyntax = "E520", "ballot-file-syntax", Error, "A BLT or PrefLib ballot file is malformed: its header, a weight or count, a rank token, a missing terminator or missing names.";
    BallotFileCandidate = "E521", "ballot-file-candidate", Error, "A ballot in a BLT or PrefLib file names a candidate number out of range or an unknown nickname, or names one candidate twice.";
    BallotFileMismatch = "W522", "ballot-file-mismatch", Warning, "A BLT or PrefLib file disagrees with itself or uses an extension: header counts that do not match the ballots, an unknown option, names taken from comments, ballots emptied by withdrawals.";
    // The audit workflow (psephos audit plan, draw, record, assess, verify).
    AuditPackageChanged = "E601", "audit-package-changed", Error, "The election package no longer matches the digests the audit plan committed to (a table, election.toml or a selected result file was changed, added or removed).";
    AuditNotSampled = "E602", "audit-not-sampled", Error, "A hand-count form is for a station that is not in the audit's sample; it is not recorded.";
    AuditNotHandCount = "E603", "audit-not-hand-count", Error, "A form given to psephos audit record is not a hand count (phase manual or recount); it is not recorded.";
    AuditRecordedTwice = "E604", "audit-recorded-twice", Error, "A hand count of the station's ballot is already recorded in the audit; the new form is not recorded.";
    AuditInterpretation = "E605", "audit-interpretation", Error, "A line of a ballot-interpretation file given to psephos audit record is malformed or does not fit the audit (header, field count, ballot id, contest, candidate); nothing is recorded.";
    StationTableColumn = "E701", "station-table-column", Error, "A column named for a forensic test (--registered, --ballots-issued, --ballots-found, --leader, --region, --id) is not in the station table's header, or is named twice.";
    StationTableValue = "E702", "station-table-value", Error, "A count in a station table is not a whole number of zero or more.";
    StationTableInconsistent = "W703", "station-table-inconsistent", Warning, "A station's counts contradict each other (more leader votes than ballots found, ballots issued with no registered voters); the station is left out of the tests.";
    // The key registry of the results ledger (keys.csv).
    KeyRegistrySyntax = "E801", "key-registry-syntax", Error, "keys.csv is malformed: its header is not name,role,public_key,stations, a line has another number of fields, or a quote is wrong.";
    KeyRegistryValue = "E802", "key-registry-value", Error, "A key in keys.csv is invalid: a bad key name, an unknown role, a public key that is not base64 of a 32-byte Ed25519 key, or stations that do not fit its role.";
    KeyRegistryDuplicate = "E803", "key-registry-duplicate", Error, "A key name or a public key appears twice in keys.csv.";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem in the input. Diagnostics sort by file, line, code (as printed), station, field
/// and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// File as given to the reader (relative to the package where possible).
    pub file: Option<String>,
    /// 1-based line in the file.
    pub line: Option<u64>,
    pub code: Code,
    /// The station the problem concerns, as written in the input.
    pub station: Option<String>,
    /// The field (column or key) the problem is in.
    pub field: Option<String>,
    /// What is wrong and what to do, in plain words.
    pub message: String,
}

impl Diagnostic {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            file: None,
            line: None,
            code,
            station: None,
            field: None,
            message: message.into(),
        }
    }

    pub fn at(mut self, file: impl Into<String>, line: u64) -> Self {
        self.file = Some(file.into());
        self.line = Some(line);
        self
    }

    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    pub fn station(mut self, station: impl Into<String>) -> Self {
        self.station = Some(station.into());
        self
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }
}

impl Ord for Diagnostic {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (&self.file, self.line, self.code.as_str(), &self.station, &self.field, &self.message).cmp(
            &(
                &other.file,
                other.line,
                other.code.as_str(),
                &other.station,
                &other.field,
                &other.message,
            ),
        )
    }
}

impl PartialOrd for Diagnostic {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{file}:{line}: ")?,
            (Some(file), None) => write!(f, "{file}: ")?,
            _ => {}
        }
        write!(f, "{}", self.code)?;
        if let Some(station) = self.station.as_deref().filter(|s| !s.is_empty()) {
            write!(f, " station={station}")?;
        }
        if let Some(field) = &self.field {
            write!(f, " field={field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

//! ES&S `.xlsx` workbooks (`ess`): one row per ballot, one column per rank (spec §3).
//!
//! RCTab reads the first worksheet with Apache POI's event reader, which reports every `<row>`
//! element (so an empty row is a ballot that ranked no one) and every cell with a value. A cell
//! reader such as calamine cannot see empty rows, so the sheet XML is streamed here with
//! `quick-xml` straight out of the zip entry: memory stays at one row plus the shared strings.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek};

use psephos_model::{Code, Diagnostic};
use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;

use super::source::Settings;
use super::xml::{attr, local, push_ref};
use super::{OVERVOTE, ReadOptions, Sink, UNDECLARED_WRITE_INS, java_split, java_trim, sanitize};

const MISSING_PRECINCT: &str = "missing_precinct_id";
const MISSING_BATCH: &str = "missing_batch_id";
/// Missing precinct or batch cells reported one by one before a summary.
const SLICE_WARNINGS: u64 = 10;

const NOT_A_WORKBOOK: &str = "ES&S cast vote record files must be Microsoft Excel Workbook (.xlsx) format; Strict Open XML and OpenDocument are not supported";

pub(super) fn read(s: &Settings, sink: &mut Sink, options: &ReadOptions) {
    let file = match File::open(&s.path) {
        Ok(f) => f,
        Err(e) => {
            sink.error(None, Code::CvrMissingFile, None, format!("cannot read the CVR file: {e}"));
            return;
        }
    };
    let mut zip = match ZipArchive::new(BufReader::new(file)) {
        Ok(z) => z,
        Err(e) => {
            sink.error(
                None,
                Code::CvrSyntax,
                None,
                format!("not a zip archive ({e}). {NOT_A_WORKBOOK}"),
            );
            return;
        }
    };
    let parts = match locate(&mut zip) {
        Ok(p) => p,
        Err(msg) => {
            sink.error(None, Code::CvrSyntax, None, format!("{msg}. {NOT_A_WORKBOOK}"));
            return;
        }
    };
    let strings = match &parts.shared_strings {
        None => Vec::new(),
        Some(name) => match read_part(&mut zip, name).and_then(|b| shared_strings(&b)) {
            Ok(v) => v,
            Err(msg) => {
                sink.error(None, Code::CvrSyntax, Some(name), msg);
                return;
            }
        },
    };
    let styles = match &parts.styles {
        None => None,
        Some(name) => match read_part(&mut zip, name).and_then(|b| styles(&b)) {
            Ok(v) => Some(v),
            Err(msg) => {
                sink.error(None, Code::CvrSyntax, Some(name), msg);
                return;
            }
        },
    };
    let Some(entry) = find_entry(&zip, &parts.sheet) else {
        sink.error(
            None,
            Code::CvrSyntax,
            None,
            format!("the workbook names {} but holds no such part", parts.sheet),
        );
        return;
    };
    let sheet = match zip.by_index(entry) {
        Ok(f) => f,
        Err(e) => {
            sink.error(
                None,
                Code::CvrSyntax,
                Some(&parts.sheet),
                format!("cannot read the worksheet: {e}"),
            );
            return;
        }
    };
    let file_name =
        s.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut rows = Rows {
        s,
        // No sheet has more columns than this, which bounds the write-in fill of empty cells.
        max: options.max_rankings.map(|m| (m as usize).min(MAX_COLUMNS)),
        strings: &strings,
        styles: styles.as_ref(),
        file_id: sanitize(&file_name),
        file_name,
        cvr_index: 0,
        record: None,
        missing_slices: 0,
        odd_format: None,
    };
    rows.stream(BufReader::with_capacity(1 << 16, sheet), sink);
    if rows.missing_slices > SLICE_WARNINGS {
        let msg = format!(
            "{} more records lack a precinct or batch cell (grouped under {MISSING_PRECINCT} or {MISSING_BATCH})",
            rows.missing_slices - SLICE_WARNINGS
        );
        sink.diags.push(Diagnostic::new(Code::CvrMissingSlice, msg).in_file(sink.file.clone()));
    }
    if let Some(fmt) = rows.odd_format {
        let msg = format!(
            "numbers with the number format {fmt} are read in the General format (as text like 12 or 0.5), not as RCTab's POI would format them"
        );
        sink.diags.push(Diagnostic::new(Code::CvrSetting, msg).in_file(sink.file.clone()));
    }
}

/// Where the parts of the workbook are.
struct Parts {
    sheet: String,
    shared_strings: Option<String>,
    styles: Option<String>,
}

fn find_entry<R: Read + Seek>(zip: &ZipArchive<R>, name: &str) -> Option<usize> {
    // OPC part names are case-insensitive.
    zip.index_for_name(name).or_else(|| {
        let found = zip
            .file_names()
            .filter_map(Result::ok)
            .find(|n| n.eq_ignore_ascii_case(name))?
            .into_owned();
        zip.index_for_name(&found)
    })
}

fn read_part<R: Read + Seek>(zip: &mut ZipArchive<R>, name: &str) -> Result<Vec<u8>, String> {
    let i = find_entry(zip, name).ok_or_else(|| format!("the workbook has no part {name}"))?;
    let mut f = zip.by_index(i).map_err(|e| format!("{name}: {e}"))?;
    let mut out = Vec::new();
    f.read_to_end(&mut out).map_err(|e| format!("{name}: {e}"))?;
    Ok(out)
}

/// Visits the start and empty elements of a small XML part.
fn each_element(bytes: &[u8], mut f: impl FnMut(&BytesStart<'_>)) -> Result<(), String> {
    let mut r = quick_xml::Reader::from_reader(bytes);
    let mut buf = Vec::new();
    loop {
        match r.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => f(&e),
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(format!("malformed XML at byte {}: {e}", r.buffer_position())),
        }
        buf.clear();
    }
}

/// A relationship target, resolved against the folder of the part that names it.
fn resolve(base_dir: &str, target: &str) -> String {
    let mut path: Vec<&str> = if let Some(abs) = target.strip_prefix('/') {
        return abs.to_owned();
    } else {
        base_dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                path.pop();
            }
            s => path.push(s),
        }
    }
    path.join("/")
}

fn relationships(bytes: &[u8]) -> Result<Vec<(String, String, String)>, String> {
    let mut rels = Vec::new();
    each_element(bytes, |e| {
        if local(e) == "Relationship" {
            rels.push((
                attr(e, "Id").unwrap_or_default(),
                attr(e, "Type").unwrap_or_default(),
                attr(e, "Target").unwrap_or_default(),
            ));
        }
    })?;
    Ok(rels)
}

/// Finds the first worksheet (in workbook order, as POI's `getSheetsData` does), the shared
/// strings and the styles.
fn locate<R: Read + Seek>(zip: &mut ZipArchive<R>) -> Result<Parts, String> {
    let mut workbook = "xl/workbook.xml".to_owned();
    if find_entry(zip, "_rels/.rels").is_some() {
        let rels = relationships(&read_part(zip, "_rels/.rels")?)?;
        if let Some((_, ty, target)) =
            rels.iter().find(|(_, ty, _)| ty.ends_with("/officeDocument"))
        {
            if ty.starts_with("http://purl.oclc.org/ooxml/") {
                return Err("the workbook is in Strict Open XML".into());
            }
            workbook = resolve("", target);
        }
    }
    let dir = workbook.rsplit_once('/').map(|(d, _)| d.to_owned()).unwrap_or_default();
    let rels_name = format!("{dir}/_rels/{}.rels", workbook.rsplit('/').next().unwrap_or(""));
    let rels = relationships(&read_part(zip, &rels_name)?)?;
    let mut first_sheet = None;
    each_element(&read_part(zip, &workbook)?, |e| {
        if first_sheet.is_none() && local(e) == "sheet" {
            first_sheet = attr(e, "id");
        }
    })?;
    let first_sheet = first_sheet.ok_or("the workbook lists no worksheet")?;
    let target = |pred: &dyn Fn(&(String, String, String)) -> bool| {
        rels.iter().find(|r| pred(r)).map(|(_, _, t)| resolve(&dir, t))
    };
    let sheet = target(&|(id, _, _)| *id == first_sheet)
        .ok_or_else(|| format!("the workbook's first sheet ({first_sheet}) has no part"))?;
    Ok(Parts {
        sheet,
        shared_strings: target(&|(_, ty, _)| ty.ends_with("/sharedStrings")),
        styles: target(&|(_, ty, _)| ty.ends_with("/styles")),
    })
}

/// The shared strings table: each `<si>`'s text runs joined, phonetic runs after a space (POI's
/// `ReadOnlySharedStringsTable` with phonetic runs included, its default).
fn shared_strings(bytes: &[u8]) -> Result<Vec<String>, String> {
    let mut r = quick_xml::Reader::from_reader(bytes);
    r.config_mut().trim_text(false);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut in_si, mut in_t) = (false, false);
    loop {
        match r.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => match local(&e) {
                "si" => {
                    in_si = true;
                    cur.clear();
                }
                "t" if in_si => in_t = true,
                "rPh" if in_si && !cur.is_empty() => cur.push(' '),
                _ => {}
            },
            Ok(Event::Empty(e)) if local(&e) == "si" => out.push(String::new()),
            Ok(Event::End(e)) => match e.local_name().into_inner() {
                "si" => {
                    in_si = false;
                    out.push(std::mem::take(&mut cur));
                }
                "t" => in_t = false,
                _ => {}
            },
            Ok(Event::Text(t)) if in_t => cur.push_str(&t.xml10_content()),
            Ok(Event::CData(t)) if in_t => cur.push_str(&t.xml10_content()),
            Ok(Event::GeneralRef(g)) if in_t => push_ref(&mut cur, &g)?,
            Ok(Event::Eof) => return Ok(out),
            Ok(_) => {}
            Err(e) => {
                return Err(format!(
                    "malformed shared strings at byte {}: {e}",
                    r.buffer_position()
                ));
            }
        }
        buf.clear();
    }
}

/// The number format of each cell style (`cellXfs`), and the custom format codes.
struct Styles {
    xf_formats: Vec<u32>,
    codes: Vec<(u32, String)>,
}

fn styles(bytes: &[u8]) -> Result<Styles, String> {
    let mut st = Styles { xf_formats: Vec::new(), codes: Vec::new() };
    let mut in_xfs = false;
    let mut r = quick_xml::Reader::from_reader(bytes);
    let mut buf = Vec::new();
    loop {
        match r.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if local(&e) == "cellXfs" => in_xfs = true,
            Ok(Event::End(e)) if e.local_name().into_inner() == "cellXfs" => in_xfs = false,
            Ok(Event::Start(e) | Event::Empty(e)) => match local(&e) {
                "xf" if in_xfs => st
                    .xf_formats
                    .push(attr(&e, "numFmtId").and_then(|v| v.parse().ok()).unwrap_or(0)),
                "numFmt" => {
                    if let Some(id) = attr(&e, "numFmtId").and_then(|v| v.parse().ok()) {
                        st.codes.push((id, attr(&e, "formatCode").unwrap_or_default()));
                    }
                }
                _ => {}
            },
            Ok(Event::Eof) => return Ok(st),
            Ok(_) => {}
            Err(e) => return Err(format!("malformed styles at byte {}: {e}", r.buffer_position())),
        }
        buf.clear();
    }
}

impl Styles {
    /// Whether a style formats numbers as General; otherwise its format, for the warning.
    fn general(&self, style: usize) -> Result<(), String> {
        let id = self.xf_formats.get(style).copied().unwrap_or(0);
        if id == 0 {
            return Ok(());
        }
        match self.codes.iter().find(|(i, _)| *i == id) {
            Some((_, code)) if code.eq_ignore_ascii_case("general") => Ok(()),
            Some((_, code)) => Err(format!("\"{code}\"")),
            None => Err(format!("#{id}")),
        }
    }
}

/// A number as POI's `DataFormatter` shows it in the General format: whole numbers without a
/// decimal point, others to 10 significant digits, very large or small ones in scientific form.
pub(crate) fn general_number(raw: &str) -> String {
    let Ok(x) = raw.trim().parse::<f64>() else {
        return raw.to_owned();
    };
    let a = x.abs();
    if x.fract() == 0.0 && a < 1e11 {
        return format!("{}", x as i64);
    }
    if a >= 1e11 || a <= 1e-10 {
        // DecimalFormat("0.#####E0"), rounding half up.
        let mut exp = a.log10().floor() as i32;
        let mut mant = (x / 10f64.powi(exp) * 1e5).round() / 1e5;
        if mant.abs() >= 10.0 {
            mant /= 10.0;
            exp += 1;
        }
        let m = format!("{mant:.5}");
        let m = m.trim_end_matches('0').trim_end_matches('.');
        return format!("{m}E{exp}");
    }
    let rounded: f64 = format!("{x:.9e}").parse().unwrap_or(x);
    format!("{rounded}")
}

/// What a `<c>` element is, from its `t` attribute.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CellType {
    Number,
    Shared,
    Inline,
    FormulaString,
    Bool,
    Error,
}

/// The text being captured inside a cell.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Capture {
    None,
    Value,
    Formula,
}

/// One ballot being read.
struct Record {
    /// 1-based sheet row, for diagnostics.
    row: u64,
    last_rank: usize,
    precinct: Option<String>,
    batch: Option<String>,
    id: Option<String>,
    spoiled: bool,
}

struct Rows<'a> {
    s: &'a Settings,
    max: Option<usize>,
    strings: &'a [String],
    styles: Option<&'a Styles>,
    file_name: String,
    file_id: String,
    cvr_index: u64,
    record: Option<Record>,
    missing_slices: u64,
    odd_format: Option<String>,
}

/// Columns an xlsx sheet can have (`A` to `XFD`).
const MAX_COLUMNS: usize = 16_384;

/// A cell reference `AB12` as 0-based column and row; only `A`–`Z` letters, as RCTab accepts,
/// and no column past Excel's last.
fn cell_address(r: &str) -> Option<(usize, u64)> {
    let split = r.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = r.split_at(split);
    if letters.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut col: usize = 0;
    for b in letters.bytes() {
        if !b.is_ascii_uppercase() {
            return None;
        }
        col = col.checked_mul(26)?.checked_add(usize::from(b - b'A') + 1)?;
    }
    if col > MAX_COLUMNS {
        return None;
    }
    let row: u64 = digits.parse().ok()?;
    Some((col - 1, row.checked_sub(1)?))
}

impl Rows<'_> {
    fn stream<R: BufRead>(&mut self, input: R, sink: &mut Sink) {
        let mut r = quick_xml::Reader::from_reader(input);
        r.config_mut().trim_text(false);
        let mut buf = Vec::with_capacity(4096);
        // Row and cell state, as POI's XSSFSheetXMLHandler keeps it.
        let mut row_num: u64 = 0;
        let mut next_row: u64 = 0;
        let mut next_col: usize = 0;
        let mut cell: Option<(usize, u64)> = None;
        let mut cell_type = CellType::Number;
        let mut style = 0usize;
        let mut has_formula = false;
        let mut in_is = false;
        let mut capture = Capture::None;
        let mut value = String::new();
        let mut formula = String::new();
        loop {
            let event = match r.read_event_into(&mut buf) {
                Ok(e) => e,
                Err(e) => {
                    let msg = format!("malformed worksheet XML near row {}: {e}", row_num + 1);
                    sink.error(Some(row_num + 1), Code::CvrSyntax, None, msg);
                    if let Some(rec) = self.record.as_mut() {
                        rec.spoiled = true;
                    }
                    break;
                }
            };
            let empty = matches!(event, Event::Empty(_));
            match event {
                Event::Start(e) | Event::Empty(e) => match local(&e) {
                    "row" => {
                        row_num = match attr(&e, "r").map(|v| v.trim().parse::<u64>()) {
                            Some(Ok(n)) if n >= 1 => n - 1,
                            None => next_row,
                            Some(_) => {
                                sink.error(
                                    Some(next_row + 1),
                                    Code::CvrSyntax,
                                    None,
                                    "a <row> has an invalid r attribute".into(),
                                );
                                break;
                            }
                        };
                        next_col = 0;
                        self.start_row(row_num);
                        if empty {
                            self.end_row(sink);
                            next_row = row_num + 1;
                        }
                    }
                    "c" => {
                        // One pass over the attributes: this runs for every cell.
                        let (mut r_attr, mut t_attr, mut s_attr) = (None, None, None);
                        for a in e.attributes().flatten() {
                            match a.key.local_name().into_inner() {
                                "r" => r_attr = Some(a.value),
                                "t" => t_attr = Some(a.value),
                                "s" => s_attr = Some(a.value),
                                _ => {}
                            }
                        }
                        let addr = match r_attr.as_deref() {
                            None => Some((next_col, row_num)),
                            Some(a) => cell_address(a).or_else(|| {
                                sink.error(
                                    Some(row_num + 1),
                                    Code::CvrSyntax,
                                    Some(a),
                                    format!("invalid cell address \"{a}\""),
                                );
                                None
                            }),
                        };
                        let Some(addr) = addr else { break };
                        next_col = addr.0 + 1;
                        cell = if empty { None } else { Some(addr) };
                        cell_type = match t_attr.as_deref() {
                            Some("s") => CellType::Shared,
                            Some("inlineStr") => CellType::Inline,
                            Some("str") => CellType::FormulaString,
                            Some("b") => CellType::Bool,
                            Some("e") => CellType::Error,
                            _ => CellType::Number,
                        };
                        style = s_attr.and_then(|v| v.parse().ok()).unwrap_or(0);
                        has_formula = false;
                        formula.clear();
                        value.clear();
                    }
                    "v" if cell.is_some() => {
                        value.clear();
                        capture = Capture::Value;
                        if empty {
                            capture = Capture::None;
                            self.emit(cell, cell_type, style, has_formula, &value, &formula, sink);
                        }
                    }
                    "f" if cell.is_some() => {
                        has_formula = true;
                        formula.clear();
                        capture = if empty { Capture::None } else { Capture::Formula };
                    }
                    "is" if cell.is_some() => {
                        in_is = !empty;
                        value.clear();
                    }
                    "t" if in_is => {
                        capture = Capture::Value;
                        if empty {
                            capture = Capture::None;
                            self.emit(cell, cell_type, style, has_formula, &value, &formula, sink);
                        }
                    }
                    _ => {}
                },
                Event::Text(t) => match capture {
                    Capture::Value => value.push_str(&t.xml10_content()),
                    Capture::Formula => formula.push_str(&t.xml10_content()),
                    Capture::None => {}
                },
                Event::CData(t) => match capture {
                    Capture::Value => value.push_str(&t.xml10_content()),
                    Capture::Formula => formula.push_str(&t.xml10_content()),
                    Capture::None => {}
                },
                Event::GeneralRef(g) => {
                    let target = match capture {
                        Capture::Value => Some(&mut value),
                        Capture::Formula => Some(&mut formula),
                        Capture::None => None,
                    };
                    if let Some(t) = target
                        && let Err(msg) = push_ref(t, &g)
                    {
                        sink.error(Some(row_num + 1), Code::CvrSyntax, None, msg);
                    }
                }
                Event::End(e) => match e.local_name().into_inner() {
                    "v" if capture == Capture::Value => {
                        capture = Capture::None;
                        self.emit(cell, cell_type, style, has_formula, &value, &formula, sink);
                    }
                    // POI reports each text run of an inline string, without clearing between.
                    "t" if in_is && capture == Capture::Value => {
                        capture = Capture::None;
                        self.emit(cell, cell_type, style, has_formula, &value, &formula, sink);
                    }
                    "f" => capture = Capture::None,
                    "is" => in_is = false,
                    "c" => {
                        cell = None;
                        capture = Capture::None;
                    }
                    "row" => {
                        self.end_row(sink);
                        next_row = row_num + 1;
                    }
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
        // A record left open by a broken file is not added.
        if self.record.take().is_some() {
            sink.discard();
        }
    }

    fn start_row(&mut self, row0: u64) {
        if row0 < self.s.first_row as u64 {
            return;
        }
        self.cvr_index += 1;
        self.record = Some(Record {
            row: row0 + 1,
            last_rank: 0,
            precinct: None,
            batch: None,
            id: None,
            spoiled: false,
        });
    }

    /// The text POI reports for a cell (formulas as their text, numbers in General format).
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        cell: Option<(usize, u64)>,
        ty: CellType,
        style: usize,
        has_formula: bool,
        value: &str,
        formula: &str,
        sink: &mut Sink,
    ) {
        let Some((col, row)) = cell else { return };
        if row < self.s.first_row as u64 || self.record.is_none() {
            return;
        }
        let text: String = match ty {
            CellType::Bool => {
                (if value.starts_with('0') || value.is_empty() { "FALSE" } else { "TRUE" }).into()
            }
            CellType::Error => format!("ERROR:{value}"),
            CellType::FormulaString => formula.to_owned(),
            CellType::Number if has_formula => formula.to_owned(),
            CellType::Inline => value.to_owned(),
            CellType::Shared => {
                match value.trim().parse::<usize>().ok().and_then(|i| self.strings.get(i)) {
                    Some(s) => s.clone(),
                    None => {
                        let msg =
                            format!("shared string \"{value}\" does not exist in the workbook");
                        sink.error(Some(row + 1), Code::CvrSyntax, Some(&col_name(col, row)), msg);
                        if let Some(rec) = self.record.as_mut() {
                            rec.spoiled = true;
                        }
                        return;
                    }
                }
            }
            CellType::Number => match self.styles {
                None => value.to_owned(),
                Some(st) => {
                    if let Err(fmt) = st.general(style) {
                        self.odd_format.get_or_insert(fmt);
                    }
                    if value.is_empty() { String::new() } else { general_number(value) }
                }
            },
        };
        self.cell(col, row, &text, sink);
    }

    /// RCTab's `cvrCell`.
    fn cell(&mut self, col: usize, row: u64, text: &str, sink: &mut Sink) {
        let s = self.s;
        let Some(rec) = self.record.as_mut() else { return };
        if s.precinct_col == Some(col) {
            rec.precinct = Some(text.to_owned());
        } else if s.batch_col == Some(col) {
            rec.batch = Some(text.to_owned());
        } else if s.id_col == Some(col) {
            rec.id = Some(text.to_owned());
        }
        if col < s.first_col || self.max.is_some_and(|m| col >= s.first_col + m) {
            return;
        }
        let rank = col - s.first_col + 1;
        if s.treat_blank_as_uwi {
            for r in rec.last_rank + 1..rank {
                sink.mark(r as i64, UNDECLARED_WRITE_INS);
            }
        }
        let trimmed = java_trim(text);
        let parts = match &s.overvote_delimiter {
            Some(d) => java_split(trimmed, d),
            None => vec![trimmed],
        };
        for p in &parts {
            let p = java_trim(p);
            if parts.len() > 1 && (p.is_empty() || p == s.skipped_rank_label) {
                let msg = format!(
                    "cell \"{text}\" is split by the overvote delimiter, and one of its parts is blank or the skipped-rank label; RCTab refuses such cells"
                );
                sink.error(Some(row + 1), Code::CvrInvalidRecord, Some(&col_name(col, row)), msg);
                rec.spoiled = true;
            } else if p != s.skipped_rank_label {
                let label = if s.overvote_label.as_deref() == Some(p) {
                    OVERVOTE
                } else if s.uwi_label.as_deref() == Some(p) {
                    UNDECLARED_WRITE_INS
                } else {
                    p
                };
                sink.mark(rank as i64, label);
            }
        }
        rec.last_rank = rank;
    }

    /// RCTab's `endCvr`.
    fn end_row(&mut self, sink: &mut Sink) {
        let s = self.s;
        let Some(mut rec) = self.record.take() else { return };
        if s.treat_blank_as_uwi
            && let Some(m) = self.max
        {
            for r in rec.last_rank + 1..=m {
                sink.mark(r as i64, UNDECLARED_WRITE_INS);
            }
        }
        let computed = format!("{}-{}", self.file_id, self.cvr_index);
        let mut slice = |col: Option<usize>,
                         v: Option<String>,
                         missing: &'static str,
                         what: &str| {
            match (col, v) {
                (None, _) => String::new(),
                (Some(_), Some(v)) => v,
                (Some(c), None) => {
                    self.missing_slices += 1;
                    if self.missing_slices <= SLICE_WARNINGS {
                        let msg = format!(
                            "{what} identifier not found for cast vote record {computed}; grouped under {missing}"
                        );
                        let d = Diagnostic::new(Code::CvrMissingSlice, msg)
                            .at(sink.file.clone(), rec.row)
                            .field(col_name(c, rec.row - 1));
                        sink.diags.push(d);
                    }
                    missing.to_owned()
                }
            }
        };
        let precinct = slice(s.precinct_col, rec.precinct.take(), MISSING_PRECINCT, "precinct");
        let batch = slice(s.batch_col, rec.batch.take(), MISSING_BATCH, "batch");
        if let Some(c) = s.id_col
            && rec.id.is_none()
        {
            let msg = format!(
                "cast vote record identifier missing on row {} in file {}; this may be due to an incorrectly formatted xlsx file: copy the CVR data into a new xlsx file",
                rec.row, self.file_name
            );
            sink.error(Some(rec.row), Code::CvrInvalidRecord, Some(&col_name(c, rec.row - 1)), msg);
            rec.spoiled = true;
        }
        if rec.spoiled {
            sink.discard();
            return;
        }
        let id = rec.id.take();
        if sink.observing() {
            sink.meta.computed_id.clone_from(&computed);
            sink.meta.supplied_id = id.clone().unwrap_or_default();
        }
        sink.commit(|| id.unwrap_or(computed), Some(rec.row), &precinct, &batch);
    }
}

/// The reference of a cell, `C5`, for diagnostics.
fn col_name(col: usize, row0: u64) -> String {
    let mut letters = Vec::new();
    let mut c = col + 1;
    while c > 0 {
        let rem = (c - 1) % 26;
        letters.push(b'A' + rem as u8);
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), row0 + 1)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{check_case, count_of, read_case};
    use super::*;

    #[test]
    fn general_format_and_addresses() {
        assert_eq!(general_number("1.0"), "1");
        assert_eq!(general_number("30"), "30");
        assert_eq!(general_number("0.5"), "0.5");
        assert_eq!(general_number("0.1234567890123"), "0.123456789");
        assert_eq!(general_number("123456789012"), "1.23457E11");
        assert_eq!(general_number("abc"), "abc");
        assert_eq!(cell_address("AB12"), Some((27, 11)));
        assert_eq!(cell_address("a1"), None);
        assert_eq!(col_name(27, 11), "AB12");
        assert_eq!(resolve("xl", "worksheets/sheet1.xml"), "xl/worksheets/sheet1.xml");
        assert_eq!(resolve("xl", "/xl/x.xml"), "xl/x.xml");
        assert_eq!(resolve("xl/a", "../b.xml"), "xl/b.xml");
    }

    /// Every ES&S case of the suite whose workbook is here.
    const CASES: &[&str] = &[
        "2013_minneapolis_mayor",
        "2013_minneapolis_park",
        "2013_minneapolis_park_bottoms_up",
        "2013_minneapolis_park_hare",
        "2013_minneapolis_park_sequential",
        "2015_portland_mayor",
        "2015_portland_mayor_codes",
        "aliases_ess_xlsx",
        "batch_example",
        "continue_tabulation_test",
        "continue_until_two_threshold_freeze",
        "continue_until_two_with_batch_elimination_test",
        "duplicate_test",
        "excluded_test",
        "exhaust_if_multiple_continuing",
        "first_round_determines_threshold_test",
        "first_round_determines_threshold_tiebreaker_test",
        "minneapolis_multi_seat_threshold",
        "missing_precinct_example",
        "more_winners_than_candidates",
        "multi_seat_bottoms_up_with_cutoff_eliminate",
        "multi_seat_bottoms_up_with_dynamic_threshold",
        "multi_seat_bottoms_up_with_static_threshold",
        "multi_seat_uwi_test",
        "precinct_example",
        "sequential_with_batch",
        "sequential_with_continue_until_two",
        "skip_to_next_test",
        "stop_tabulation_early_test",
        "test_set_allow_only_one_winner_per_round",
        "test_set_overvote_delimiter",
        "test_set_treat_blank_as_undeclared_write_in",
        "tiebreak_generate_permutation_test",
        "tiebreak_previous_round_counts_then_random_test",
        "tiebreak_seed_test",
        "tiebreak_use_permutation_in_config_test",
        "uwi_cannot_win_test",
    ];

    #[test]
    fn every_ess_case_has_the_expected_ballots() {
        let mut failed = Vec::new();
        for case in CASES {
            let r = std::panic::catch_unwind(|| check_case(case));
            if r.is_err() {
                failed.push(*case);
            }
        }
        assert!(
            failed.is_empty(),
            "{} of {} ES&S cases fail: {failed:?}",
            failed.len(),
            CASES.len()
        );
    }

    #[test]
    fn empty_rows_are_ballots() {
        // 16 data rows and three empty <row> elements (18, 1048575, 1048576).
        let set = check_case("first_round_determines_threshold_test");
        assert_eq!(set.total(), 19);
    }

    #[test]
    fn precincts_and_placeholders() {
        let set = check_case("missing_precinct_example");
        assert!(set.precincts.iter().any(|p| p == MISSING_PRECINCT), "{:?}", set.precincts);
        let (_, diags) = read_case("missing_precinct_example");
        assert!(diags.iter().any(|d| d.code == Code::CvrMissingSlice));
        let set = check_case("batch_example");
        assert!(set.batches.len() > 2, "{:?}", set.batches);
    }

    #[test]
    fn labels_are_mapped_as_rctab_maps_them() {
        // Blank cells are undeclared write-ins; an explicit "undervote" is a skipped rank.
        let set = check_case("test_set_treat_blank_as_undeclared_write_in");
        assert!(set.labels.iter().any(|l| l == UNDECLARED_WRITE_INS));
        assert_eq!(
            count_of(&set, "2:B 3:C 4:A"),
            1,
            "{:?}",
            super::super::test_support::rankings(&set)
        );
        // Explicit overvote label and delimiter.
        let set = check_case("skip_to_next_test");
        assert!(set.labels.iter().any(|l| l == OVERVOTE), "{:?}", set.labels);
        let set = check_case("exhaust_if_multiple_continuing");
        assert!(super::super::test_support::rankings(&set).iter().any(|(r, _)| r.contains("A=D")));
    }

    #[test]
    fn invalid_sources_test_reports_every_source() {
        let (set, diags) = read_case("invalid_sources_test");
        assert_eq!(set.total(), 0);
        let codes: Vec<_> = diags.iter().map(|d| d.code.as_str()).collect();
        // A missing file; a source without columns; one without a path and with row 0; one
        // without firstVoteRowIndex; and no records at all.
        assert_eq!(codes, ["E502", "E501", "E501", "E501", "E501", "E501", "E510"], "{diags:#?}");
    }
}

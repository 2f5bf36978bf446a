//! Small helpers over `quick-xml` shared by the XML readers: line numbers, local names,
//! attributes and entity references.

use std::io::{BufRead, Read};

use quick_xml::events::{BytesRef, BytesStart, Event};

/// A `BufRead` that counts the line breaks consumed, so that a streaming XML reader can say on
/// which line an element ends.
pub(crate) struct LineCount<R> {
    inner: R,
    newlines: u64,
}

impl<R: BufRead> LineCount<R> {
    pub(crate) fn new(inner: R) -> Self {
        LineCount { inner, newlines: 0 }
    }

    /// The 1-based line of the next unread byte.
    pub(crate) fn line(&self) -> u64 {
        self.newlines + 1
    }
}

impl<R: BufRead> Read for LineCount<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.newlines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LineCount<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let n = amt.min(buf.len());
            self.newlines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        }
        self.inner.consume(amt);
    }
}

/// An XML reader configured as a SAX parser reads: text kept as is, end names checked.
pub(crate) fn reader<R: BufRead>(r: R) -> quick_xml::Reader<LineCount<R>> {
    let mut reader = quick_xml::Reader::from_reader(LineCount::new(r));
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = true;
    reader
}

/// The local name of an element (namespace prefix removed), as Jackson and SAX with namespaces
/// match them.
pub(crate) fn local<'a>(e: &'a BytesStart<'_>) -> &'a str {
    let name = e.name().into_inner();
    name.rsplit(':').next().unwrap_or(name)
}

/// The value of the attribute with this local name, entities resolved.
pub(crate) fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        let key = a.key.into_inner();
        let key = key.rsplit(':').next().unwrap_or(key);
        (key == name).then(|| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .unwrap_or_default()
        })
    })
}

/// Appends the text of an entity or character reference; `Err` names an unknown entity.
pub(crate) fn push_ref(out: &mut String, r: &BytesRef<'_>) -> Result<(), String> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        out.push(c);
        return Ok(());
    }
    let name = r.xml10_content();
    out.push(match &*name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        other => return Err(format!("unknown entity &{other};")),
    });
    Ok(())
}

/// A small element tree (one CDF CVR, one Hart file), read whole because it is small and its
/// parts are looked up by name, as Jackson maps them.
#[derive(Default)]
pub(crate) struct Node {
    pub(crate) name: String,
    attrs: Vec<(String, String)>,
    pub(crate) text: String,
    pub(crate) children: Vec<Node>,
}

impl Node {
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The last child of that name (Jackson keeps the last value of a repeated scalar field).
    pub(crate) fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().rev().find(|c| c.name == name)
    }

    pub(crate) fn text_of(&self, name: &str) -> Option<String> {
        self.child(name).map(|c| c.text.clone())
    }

    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// An unwrapped list: `None` when no element of that name is present.
    pub(crate) fn list<'a>(&'a self, name: &'a str) -> Option<Vec<&'a Node>> {
        let v: Vec<&Node> = self.all(name).collect();
        (!v.is_empty()).then_some(v)
    }
}

pub(crate) fn start_node(e: &BytesStart<'_>) -> Node {
    let attrs = e
        .attributes()
        .flatten()
        .map(|a| {
            let key = a.key.into_inner();
            let key = key.rsplit(':').next().unwrap_or(key).to_owned();
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .unwrap_or_default();
            (key, v)
        })
        .collect();
    Node { name: local(e).to_owned(), attrs, text: String::new(), children: Vec::new() }
}

/// Reads the rest of an element whose start tag was just read.
pub(crate) fn read_node<R: BufRead>(
    r: &mut quick_xml::Reader<R>,
    start: &BytesStart<'_>,
    buf: &mut Vec<u8>,
) -> Result<Node, String> {
    let mut stack = vec![start_node(start)];
    loop {
        buf.clear();
        match r.read_event_into(buf) {
            Ok(Event::Start(e)) => stack.push(start_node(&e)),
            Ok(Event::Empty(e)) => {
                let n = start_node(&e);
                if let Some(top) = stack.last_mut() {
                    top.children.push(n);
                }
            }
            Ok(Event::End(_)) => {
                let done = stack.pop().unwrap_or_default();
                match stack.last_mut() {
                    Some(top) => top.children.push(done),
                    None => return Ok(done),
                }
            }
            Ok(Event::Text(t)) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Ok(Event::CData(t)) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Ok(Event::GeneralRef(g)) => {
                if let Some(top) = stack.last_mut() {
                    push_ref(&mut top.text, &g)?;
                }
            }
            Ok(Event::Eof) => return Err("the file ends inside an element".into()),
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}

//! The self-containment check: a report may reference nothing outside itself. Every URL in a
//! tag's attributes (`src`, `href`, `xlink:href`, `srcset`, `action`, ...), in CSS (`url(...)`
//! in `<style>` elements, `style` attributes and SVG presentation attributes such as `fill`, and
//! any `@import`) must be a fragment of the
//! same page (`#...`) or a `data:` URL; a `<script>` element, a `<meta http-equiv="refresh">`
//! and a `<base>` element are refused outright. Text between tags is not looked at: names that
//! look like markup are escaped there and request nothing.
//!
//! The binary runs it on every report before writing it; the tests run it on snapshots.

/// Attributes whose value is fetched or followed by a browser.
const URL_ATTRIBUTES: [&str; 19] = [
    "src",
    "href",
    "xlink:href",
    "srcset",
    "action",
    "formaction",
    "poster",
    "data",
    "background",
    "cite",
    "longdesc",
    "manifest",
    "ping",
    "codebase",
    "archive",
    "usemap",
    "lowsrc",
    "dynsrc",
    "imagesrcset",
];

fn allowed(url: &str) -> bool {
    let url = url.trim();
    url.starts_with('#') || url.get(..5).is_some_and(|s| s.eq_ignore_ascii_case("data:"))
}

/// Every reference that leaves the page, described (empty when the page is self-contained).
pub fn external_references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    let bytes = html.as_bytes();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        let start = i + off;
        let rest = &html[start..];
        if rest.starts_with("<!--") {
            i = rest.find("-->").map_or(html.len(), |e| start + e + 3);
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") || rest.starts_with("</") {
            i = rest.find('>').map_or(html.len(), |e| start + e + 1);
            continue;
        }
        // A start tag: its name, then attributes up to '>'.
        let mut j = start + 1;
        while j < bytes.len()
            && !bytes[j].is_ascii_whitespace()
            && bytes[j] != b'>'
            && bytes[j] != b'/'
        {
            j += 1;
        }
        let name = html[start + 1..j].to_ascii_lowercase();
        if name.is_empty() {
            // A lone '<' in text (never written by the report, which escapes it).
            i = start + 1;
            continue;
        }
        let (attributes, end) = parse_attributes(html, j);
        i = end;
        match name.as_str() {
            "script" => found.push("a <script> element".to_owned()),
            "base" => found.push("a <base> element".to_owned()),
            _ => {}
        }
        for (attr, value) in &attributes {
            let attr = attr.to_ascii_lowercase();
            if attr == "style" || value.to_ascii_lowercase().contains("url(") {
                // CSS, or an SVG presentation attribute (fill, stroke, filter, mask, ...).
                css_references(value, &mut found);
            }
            if attr == "srcset" || attr == "imagesrcset" {
                for candidate in value.split(',') {
                    let url = candidate.split_whitespace().next().unwrap_or("");
                    if !url.is_empty() && !allowed(url) {
                        found.push(format!("<{name} {attr}=\"{url}\">"));
                    }
                }
            } else if URL_ATTRIBUTES.contains(&attr.as_str()) && !allowed(value) {
                found.push(format!("<{name} {attr}=\"{value}\">"));
            } else if name == "meta"
                && attr == "http-equiv"
                && value.trim().eq_ignore_ascii_case("refresh")
            {
                found.push("a <meta http-equiv=\"refresh\">".to_owned());
            }
        }
        if name == "style" {
            let close =
                html[i..].to_ascii_lowercase().find("</style").map_or(html.len(), |e| i + e);
            css_references(&html[i..close], &mut found);
            i = close;
        }
    }
    found
}

/// Attributes from just after a tag's name; returns them and the index after the tag's '>'.
fn parse_attributes(html: &str, mut i: usize) -> (Vec<(String, String)>, usize) {
    let bytes = html.as_bytes();
    let mut out = Vec::new();
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        if i >= bytes.len() {
            return (out, bytes.len());
        }
        if bytes[i] == b'>' {
            return (out, i + 1);
        }
        let name_start = i;
        while i < bytes.len()
            && !bytes[i].is_ascii_whitespace()
            && !matches!(bytes[i], b'=' | b'>' | b'/')
        {
            i += 1;
        }
        let name = html[name_start..i].to_owned();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < bytes.len() && (bytes[i] == b'"' || bytes[i] == b'\'') {
                let quote = bytes[i];
                let v_start = i + 1;
                let v_end = bytes[v_start..]
                    .iter()
                    .position(|&b| b == quote)
                    .map_or(bytes.len(), |p| v_start + p);
                value = unescape(&html[v_start..v_end]);
                i = (v_end + 1).min(bytes.len());
            } else {
                let v_start = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                    i += 1;
                }
                value = unescape(&html[v_start..i]);
            }
        }
        if name.is_empty() {
            i += 1;
        } else {
            out.push((name, value));
        }
    }
}

/// The character references an attribute value may use for the characters of a URL.
fn unescape(value: &str) -> String {
    value
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&colon;", ":")
        .replace("&#58;", ":")
        .replace("&amp;", "&")
}

/// `url(...)` and `@import` in CSS text.
fn css_references(css: &str, found: &mut Vec<String>) {
    let lower = css.to_ascii_lowercase();
    if lower.contains("@import") {
        found.push("a CSS @import".to_owned());
    }
    let mut i = 0;
    while let Some(off) = lower[i..].find("url(") {
        let start = i + off + 4;
        let end = lower[start..].find(')').map_or(css.len(), |e| start + e);
        let url = css[start..end].trim().trim_matches(|c| c == '"' || c == '\'');
        if !allowed(url) {
            found.push(format!("CSS url({url})"));
        }
        i = end.min(css.len());
        if i >= css.len() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::external_references as refs;

    #[test]
    fn fragments_and_data_pass() {
        let page = "<!DOCTYPE html><html><head><style>a{background:url(data:image/png;base64,AA)} .x{fill:url(#p)}</style></head>\
            <body><a href=\"#seats\">x</a><img src='data:image/gif;base64,R0'><svg><use xlink:href=\"#s\"/><rect fill=\"url(#hc-stripes-1)\"/></svg>\
            <p>href=&quot;http://example.org&quot; and url(http://example.org) as text</p><!-- <img src=http://x> --></body></html>";
        assert_eq!(refs(page), Vec::<String>::new());
    }

    #[test]
    fn everything_outside_is_found() {
        let cases = [
            "<img src=\"http://example.org/a.png\">",
            "<a href=https://example.org>x</a>",
            "<link rel=stylesheet href='//cdn.example/x.css'>",
            "<svg><image xlink:href=\"file:///etc/x.png\"/></svg>",
            "<div style=\"background: url( 'http://x/y.png' )\"></div>",
            "<style>body{background:URL(http://x/y.png)}</style>",
            "<style>@import 'x.css';</style>",
            "<img srcset=\"data:image/png;base64,AA 1x, http://x/2.png 2x\">",
            "<script>1</script>",
            "<meta http-equiv=\"refresh\" content=\"0;url=http://x\">",
            "<base href=\"#\">",
            "<form action=\"/submit\"></form>",
            "<a href=\"report.html\">relative</a>",
            "<a href=\"javascript&colon;alert(1)\">x</a>",
            "<a href=\"http://example.org/url(x)\">x</a>",
            "<svg><rect fill=\"url(http://example.org/p.svg#a)\"/></svg>",
            "<svg><g filter=\"url('//example.org/f.svg#blur')\"></g></svg>",
        ];
        for case in cases {
            assert!(!refs(case).is_empty(), "not found: {case}");
        }
    }
}

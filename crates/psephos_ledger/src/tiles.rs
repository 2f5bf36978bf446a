//! C2SP `tlog-tiles` (<https://c2sp.org/tlog-tiles>): the log served as static files.
//!
//! A tree of `N` leaves is cut into *tiles* of 256 hashes: the tile `n` at level `l` holds, for
//! `i` in `0..256`, `MTH(D[(n * 256 + i) * 256^l .. (n * 256 + i + 1) * 256^l])` (level 0: the
//! leaf hashes; level `l`: the roots of the full level `l - 1` tiles). The rightmost tile of
//! each level may be *partial*, of width `floor(N / 256^l) mod 256` (1 to 255; an empty one is
//! not served); a partial tile is never hashed into the level above. A tile is served at
//! `tile/<L>/<N>[.p/<W>]`, its index written in 3-digit groups of which all but the last carry
//! an `x` (`1234067` → `x001/x234/067`), and the entries behind the level-0 tile `n` as an
//! *entry bundle* at `tile/entries/<N>[.p/<W>]`: each entry as a big-endian `u16` length and
//! its bytes (so no entry may exceed 65,535 bytes). Full tiles never change; a partial tile is
//! replaced by a wider one (another path) as the log grows. The Go reference is
//! `golang.org/x/mod/sumdb/tlog` (`tile.go`, with tile height 8 and its `tile/8/data/` entries
//! directory renamed `tile/entries/` by the C2SP spec).
//!
//! This module computes which tiles a tree of a given size has, which appear when it grows,
//! and their bytes from a [`MerkleTree`] and its entries; [`crate::tile_reader`] reads them
//! back. Paths are relative to the log's prefix (`log/` in a psephos bundle): `<prefix>/`
//! followed by [`Tile::path`]; the checkpoint is served beside them at `<prefix>/checkpoint`.

use crate::ProofError;
use crate::hash::{HASH_LEN, Hash, leaf_hash};
use crate::tree::MerkleTree;

/// Hashes in a full tile.
pub const TILE_WIDTH: u64 = 256;

/// Tree levels a tile spans (`TILE_WIDTH = 2^TILE_HEIGHT`).
pub const TILE_HEIGHT: u32 = 8;

/// Bytes in a full hash tile (256 hashes of 32 bytes).
pub const FULL_TILE_BYTES: usize = 256 * HASH_LEN;

/// The longest entry an entry bundle can carry (its length is a big-endian `u16`).
pub const MAX_ENTRY_LEN: usize = u16::MAX as usize;

/// The highest tile level a path may name (the spec's bound; a tree of at most `u64::MAX`
/// leaves only has levels 0 to 7).
pub const MAX_TILE_LEVEL: u8 = 63;

/// Why a tile path, a tile, an entry or a tiled log was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    /// A path that is not a canonical C2SP tile or entry-bundle path.
    #[error("{path:?} is not a tile path: {reason}")]
    InvalidPath {
        /// The path.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A tile with a width outside 1 to 256 or a level above 63.
    #[error("invalid tile: {0}")]
    InvalidTile(String),
    /// Tile sets of a larger tree asked relative to a smaller one.
    #[error("the new tree size {new} is smaller than the old {old}")]
    SizesReversed {
        /// The old size.
        old: u64,
        /// The new size.
        new: u64,
    },
    /// A tree size (or a tile) beyond the leaves of the tree given.
    #[error("tree size {size} is beyond the tree ({len} leaves)")]
    SizeBeyondLog {
        /// The size (or the end of the tile) asked for.
        size: u64,
        /// The leaves the tree holds.
        len: u64,
    },
    /// Fewer entries than leaves to bundle.
    #[error("{entries} entries given for a tree of {size} leaves")]
    EntriesShort {
        /// The tree size.
        size: u64,
        /// The entries given.
        entries: u64,
    },
    /// An entry too long for an entry bundle.
    #[error("entry {index} is {len} bytes long, an entry bundle holds at most 65535")]
    EntryTooLong {
        /// The entry's index in the log.
        index: u64,
        /// Its length in bytes.
        len: usize,
    },
    /// An entry given to the tile writer whose leaf hash is not the tree's leaf.
    #[error("entry {index} does not hash to leaf {index} of the tree")]
    EntryMismatch {
        /// The entry's index in the log.
        index: u64,
    },
    /// A tile or bundle the log should serve and does not.
    #[error("{path} is missing")]
    Missing {
        /// The tile's path.
        path: String,
    },
    /// A hash tile whose length is not 32 bytes times its width.
    #[error("{path} is {got} bytes long, {want} expected")]
    WrongLength {
        /// The tile's path.
        path: String,
        /// Its length.
        got: usize,
        /// The length its width calls for.
        want: usize,
    },
    /// An entry bundle that does not parse as `width` length-prefixed entries.
    #[error("entry bundle {path} is malformed: {reason}")]
    MalformedBundle {
        /// The bundle's path.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An entry of a bundle that does not hash to its (authenticated) leaf hash.
    #[error("entry {position} of {path} (log entry {index}) does not hash to leaf hash {index}")]
    BundleEntryMismatch {
        /// The bundle's path.
        path: String,
        /// The entry's position in the bundle.
        position: usize,
        /// The entry's index in the log.
        index: u64,
    },
    /// A tile that contradicts hashes already authenticated by the checkpoint root.
    #[error("{path} disagrees with the checkpoint root: {detail}")]
    Mismatch {
        /// The tile's path.
        path: String,
        /// Which hash, and against what.
        detail: String,
    },
    /// Tiles that together do not hash to the checkpoint root, where no single tile can be
    /// blamed with certainty (`tiles`: the ones the computation rests on; empty when the whole
    /// tile set is a consistent tree of another root).
    #[error("the tiles hash to root {computed}, the checkpoint says {expected} (suspect tiles: {})", if tiles.is_empty() { "none, the tiles agree with each other".to_owned() } else { tiles.join(", ") })]
    RootMismatch {
        /// The checkpoint root (hex).
        expected: String,
        /// The root the tiles yield (hex).
        computed: String,
        /// The tiles the mismatch rests on.
        tiles: Vec<String>,
    },
    /// A leaf index not in the tree read.
    #[error("leaf index {index} is not in a tree of size {size}")]
    IndexOutOfRange {
        /// The index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A proof request that no tree answers (sizes reversed, from the empty tree).
    #[error(transparent)]
    Proof(#[from] ProofError),
}

/// What a tile holds: hashes of one tree level, or entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TileKind {
    /// Hashes of tile level `l` (each the root of `256^l` leaves), served at `tile/<l>/...`.
    Hashes(u8),
    /// An entry bundle, served at `tile/entries/...`.
    Entries,
}

/// A tile or an entry bundle: its kind, its index within its level and its width (256 for a
/// full tile, 1 to 255 for a partial one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tile {
    kind: TileKind,
    index: u64,
    width: u16,
}

impl Tile {
    /// A tile of `kind`; `width` must be 1 to 256 and a hash level at most 63.
    pub fn new(kind: TileKind, index: u64, width: u16) -> Result<Self, TileError> {
        if !(1..=256).contains(&width) {
            return Err(TileError::InvalidTile(format!("width {width} is not 1 to 256")));
        }
        if let TileKind::Hashes(level @ 64..) = kind {
            return Err(TileError::InvalidTile(format!("level {level} is above 63")));
        }
        Ok(Self { kind, index, width })
    }

    /// Constructor for internal use with values known to be valid.
    fn make(kind: TileKind, index: u64, width: u64) -> Self {
        debug_assert!((1..=TILE_WIDTH).contains(&width));
        Self { kind, index, width: width as u16 }
    }

    /// What the tile holds.
    pub fn kind(&self) -> TileKind {
        self.kind
    }

    /// The hash level, `None` for an entry bundle.
    pub fn level(&self) -> Option<u8> {
        match self.kind {
            TileKind::Hashes(l) => Some(l),
            TileKind::Entries => None,
        }
    }

    /// The index within its level.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// Hashes (or entries) in the tile.
    pub fn width(&self) -> u16 {
        self.width
    }

    /// Whether the tile is full (256 wide).
    pub fn is_full(&self) -> bool {
        u64::from(self.width) == TILE_WIDTH
    }

    /// The bytes a hash tile must have (32 per hash); `None` for an entry bundle.
    pub fn hash_bytes_len(&self) -> Option<usize> {
        self.level().map(|_| usize::from(self.width) * HASH_LEN)
    }

    /// The path, relative to the log prefix: `tile/<L>/<N>[.p/<W>]` or
    /// `tile/entries/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        let mut p = String::from("tile/");
        match self.kind {
            TileKind::Hashes(l) => p.push_str(&l.to_string()),
            TileKind::Entries => p.push_str("entries"),
        }
        p.push('/');
        p.push_str(&index_path(self.index));
        if !self.is_full() {
            p.push_str(".p/");
            p.push_str(&self.width.to_string());
        }
        p
    }

    /// Parses a canonical tile or entry-bundle path (the exact form [`Tile::path`] writes: no
    /// leading zeros in the level or width, 3-digit groups, no empty leading `x000` group).
    pub fn parse(path: &str) -> Result<Self, TileError> {
        let bad = |reason: &str| TileError::InvalidPath {
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        let rest = path.strip_prefix("tile/").ok_or_else(|| bad("it does not start with tile/"))?;
        let (kind, rest) = rest.split_once('/').ok_or_else(|| bad("no index"))?;
        let kind = if kind == "entries" {
            TileKind::Entries
        } else {
            let level = decimal(kind).ok_or_else(|| bad("the level is not a decimal number"))?;
            let level = u8::try_from(level)
                .ok()
                .filter(|l| *l <= MAX_TILE_LEVEL)
                .ok_or_else(|| bad("the level is above 63"))?;
            TileKind::Hashes(level)
        };
        let (groups, width) = match rest.split_once(".p/") {
            Some((groups, width)) => {
                let width = decimal(width)
                    .filter(|w| (1..TILE_WIDTH).contains(w))
                    .ok_or_else(|| bad("the partial width is not 1 to 255"))?;
                (groups, width)
            }
            None => (rest, TILE_WIDTH),
        };
        let parts: Vec<&str> = groups.split('/').collect();
        let mut index: u64 = 0;
        for (i, part) in parts.iter().enumerate() {
            let digits = if i + 1 < parts.len() {
                part.strip_prefix('x').ok_or_else(|| bad("an inner index group lacks its x"))?
            } else {
                part
            };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("an index group is not 3 digits"));
            }
            let g = u64::from(digits.parse::<u16>().map_err(|_| bad("bad index group"))?);
            index = index
                .checked_mul(1000)
                .and_then(|n| n.checked_add(g))
                .ok_or_else(|| bad("the index overflows 64 bits"))?;
        }
        let tile = Self::make(kind, index, width);
        if tile.path() != path {
            return Err(bad("not in canonical form"));
        }
        Ok(tile)
    }
}

impl std::fmt::Display for Tile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.path())
    }
}

/// A decimal number without leading zeros (`0` itself allowed).
fn decimal(s: &str) -> Option<u64> {
    let ok =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    if ok { s.parse().ok() } else { None }
}

/// A tile index as path elements: 3-digit groups, all but the last prefixed with `x`
/// (`1234067` → `x001/x234/067`, `5` → `005`).
pub fn index_path(n: u64) -> String {
    let mut groups = vec![n % 1000];
    let mut m = n / 1000;
    while m > 0 {
        groups.push(m % 1000);
        m /= 1000;
    }
    let mut s = String::with_capacity(groups.len() * 5);
    for (i, g) in groups.iter().rev().enumerate() {
        if i > 0 {
            s.push('/');
        }
        if i + 1 < groups.len() {
            s.push('x');
        }
        s.push_str(&format!("{g:03}"));
    }
    s
}

/// `x >> s`, 0 when `s >= 64`.
pub(crate) fn shr(x: u64, s: u32) -> u64 {
    x.checked_shr(s).unwrap_or(0)
}

/// Hashes at tile level `level` in a tree of `size` leaves (`floor(size / 256^level)`).
pub(crate) fn level_count(size: u64, level: u32) -> u64 {
    shr(size, TILE_HEIGHT * level)
}

/// The partial tile of `level` in a tree of `size` leaves, if it has one.
pub(crate) fn partial_tile(size: u64, level: u32) -> Option<Tile> {
    let count = level_count(size, level);
    let width = count % TILE_WIDTH;
    (width > 0).then(|| Tile::make(TileKind::Hashes(level as u8), count / TILE_WIDTH, width))
}

/// Every hash tile of level `level` of a tree of `size` leaves whose index is at least
/// `from_index`.
fn level_tiles(kind: TileKind, count: u64, from_index: u64, out: &mut Vec<Tile>) {
    let full = count / TILE_WIDTH;
    for n in from_index..full {
        out.push(Tile::make(kind, n, TILE_WIDTH));
    }
    let width = count % TILE_WIDTH;
    if width > 0 {
        out.push(Tile::make(kind, full, width));
    }
}

/// Every tile a tree of `size` leaves is served as: the hash tiles level by level (full ones,
/// then the partial one, by index), then the entry bundles. Tiles are ordered as [`Tile`]'s
/// `Ord` orders them. The list holds about `size / 128` tiles: for a writer's own tree, not for
/// a size read from untrusted input ([`crate::TileReader`] walks tiles lazily).
pub fn tiles_for_size(size: u64) -> Vec<Tile> {
    let mut out = Vec::new();
    let mut level = 0;
    loop {
        let count = level_count(size, level);
        if count == 0 {
            break;
        }
        level_tiles(TileKind::Hashes(level as u8), count, 0, &mut out);
        level += 1;
    }
    level_tiles(TileKind::Entries, size, 0, &mut out);
    out
}

/// The tiles (hash tiles and entry bundles) a tree of `new` leaves serves that one of `old`
/// leaves does not: the full tiles completed since, and every partial tile whose width
/// changed (a new path). Everything else is byte-identical, so a log that grows from `old` to
/// `new` writes exactly these files. In [`tiles_for_size`] order.
pub fn tiles_added(old: u64, new: u64) -> Result<Vec<Tile>, TileError> {
    if new < old {
        return Err(TileError::SizesReversed { old, new });
    }
    let mut out = Vec::new();
    let mut level = 0;
    loop {
        let count = level_count(new, level);
        if count == 0 {
            break;
        }
        added_at_level(TileKind::Hashes(level as u8), level_count(old, level), count, &mut out);
        level += 1;
    }
    added_at_level(TileKind::Entries, old, new, &mut out);
    Ok(out)
}

fn added_at_level(kind: TileKind, old_count: u64, new_count: u64, out: &mut Vec<Tile>) {
    if old_count == new_count {
        return;
    }
    // Full tiles before the old count's first incomplete one are unchanged.
    level_tiles(kind, new_count, old_count / TILE_WIDTH, out);
}

/// The partial tiles a tree of `old` leaves serves that one of `new` leaves no longer lists:
/// the log MAY delete them once the wider or full tile is served (clients that verified an
/// older checkpoint may still ask for them, so keeping them is harmless).
pub fn tiles_superseded(old: u64, new: u64) -> Result<Vec<Tile>, TileError> {
    if new < old {
        return Err(TileError::SizesReversed { old, new });
    }
    let mut out = Vec::new();
    let mut level = 0;
    loop {
        let old_count = level_count(old, level);
        if old_count == 0 {
            break;
        }
        if old_count != level_count(new, level) {
            out.extend(partial_tile(old, level));
        }
        level += 1;
    }
    if old != new && !old.is_multiple_of(TILE_WIDTH) {
        out.push(Tile::make(TileKind::Entries, old / TILE_WIDTH, old % TILE_WIDTH));
    }
    Ok(out)
}

/// The root of `2^k` consecutive hashes (`hashes.len()` a power of two): the complete
/// subtree they are the bottom row of.
pub(crate) fn perfect_root(hashes: &[Hash]) -> Hash {
    let mut row = hashes.to_vec();
    while row.len() > 1 {
        row = row.chunks(2).map(|p| crate::hash::node_hash(&p[0], &p[p.len() - 1])).collect();
    }
    row.first().copied().unwrap_or(crate::hash::EMPTY_ROOT)
}

/// The bytes of hash tile `tile`, from `tree`: the concatenated roots of its `width` subtrees of
/// `256^level` leaves. The tree must hold every leaf those subtrees span.
pub fn tile_bytes(tree: &MerkleTree, tile: Tile) -> Result<Vec<u8>, TileError> {
    let Some(level) = tile.level() else {
        return Err(TileError::InvalidTile("an entry bundle is not a hash tile".to_owned()));
    };
    let node_level = TILE_HEIGHT * u32::from(level);
    let beyond = || {
        // The leaves the tile spans: (index * 256 + width) * 256^level, saturated.
        let end = u128::from(tile.index) * 256 + u128::from(tile.width);
        let size = if level >= 8 {
            u64::MAX
        } else {
            u64::try_from(end << (TILE_HEIGHT * u32::from(level))).unwrap_or(u64::MAX)
        };
        TileError::SizeBeyondLog { size, len: tree.len() }
    };
    let mut out = Vec::with_capacity(usize::from(tile.width) * HASH_LEN);
    for i in 0..u64::from(tile.width) {
        let index = tile.index.checked_mul(TILE_WIDTH).and_then(|n| n.checked_add(i));
        let node = index.and_then(|n| tree.node(node_level, n)).ok_or_else(beyond)?;
        out.extend_from_slice(node);
    }
    Ok(out)
}

/// An entry bundle: each entry as its length (big-endian `u16`) and its bytes. `first_index`
/// is the log index of the first entry, for the error on an entry longer than 65,535 bytes.
pub fn encode_entry_bundle<E: AsRef<[u8]>>(
    first_index: u64,
    entries: &[E],
) -> Result<Vec<u8>, TileError> {
    let len = entries.iter().map(|e| 2 + e.as_ref().len()).sum();
    let mut out = Vec::with_capacity(len);
    for (i, e) in entries.iter().enumerate() {
        let e = e.as_ref();
        let n = u16::try_from(e.len()).map_err(|_| TileError::EntryTooLong {
            index: first_index.saturating_add(i as u64),
            len: e.len(),
        })?;
        out.extend_from_slice(&n.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// The entries of an entry bundle: exactly `width` length-prefixed entries, nothing after.
pub fn decode_entry_bundle(bundle: Tile, bytes: &[u8]) -> Result<Vec<Vec<u8>>, TileError> {
    Ok(entry_bundle_slices(bundle, bytes)?.into_iter().map(<[u8]>::to_vec).collect())
}

/// [`decode_entry_bundle`] without copying: the entries as slices of the bundle's bytes.
pub fn entry_bundle_slices(bundle: Tile, bytes: &[u8]) -> Result<Vec<&[u8]>, TileError> {
    let bad = |reason: String| TileError::MalformedBundle { path: bundle.path(), reason };
    let mut out = Vec::with_capacity(usize::from(bundle.width));
    let mut rest = bytes;
    while !rest.is_empty() {
        let [a, b, tail @ ..] = rest else {
            return Err(bad(format!("a lone byte after entry {}", out.len())));
        };
        let n = usize::from(u16::from_be_bytes([*a, *b]));
        if tail.len() < n {
            return Err(bad(format!(
                "entry {} claims {n} bytes, {} remain",
                out.len(),
                tail.len()
            )));
        }
        out.push(&tail[..n]);
        rest = &tail[n..];
    }
    if out.len() != usize::from(bundle.width) {
        return Err(bad(format!("{} entries, {} expected", out.len(), bundle.width)));
    }
    Ok(out)
}

/// A file of a tiled log: its tile, its path (relative to the log prefix) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileFile {
    /// The tile or bundle.
    pub tile: Tile,
    /// [`Tile::path`].
    pub path: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// Every file (hash tiles and entry bundles) of the tree of the first `size` leaves of
/// `tree`, whose entries are `entries` (at least `size` of them, each hashing to its leaf and
/// at most 65,535 bytes long). In [`tiles_for_size`] order.
pub fn tile_files<E: AsRef<[u8]>>(
    tree: &MerkleTree,
    entries: &[E],
    size: u64,
) -> Result<Vec<TileFile>, TileError> {
    tile_files_added(tree, entries, 0, size)
}

/// The files that appear when the log grows from `old` to `new` leaves ([`tiles_added`]),
/// with their bytes. Only the entries in the bundles written are checked against the tree.
pub fn tile_files_added<E: AsRef<[u8]>>(
    tree: &MerkleTree,
    entries: &[E],
    old: u64,
    new: u64,
) -> Result<Vec<TileFile>, TileError> {
    if new > tree.len() {
        return Err(TileError::SizeBeyondLog { size: new, len: tree.len() });
    }
    if (entries.len() as u64) < new {
        return Err(TileError::EntriesShort { size: new, entries: entries.len() as u64 });
    }
    let tiles = tiles_added(old, new)?;
    let mut out = Vec::with_capacity(tiles.len());
    for tile in tiles {
        let bytes = match tile.kind {
            TileKind::Hashes(_) => tile_bytes(tree, tile)?,
            TileKind::Entries => {
                // new <= entries.len() <= usize::MAX, so the bundle's range fits in usize.
                let start = (tile.index * TILE_WIDTH) as usize;
                let chunk = &entries[start..start + usize::from(tile.width)];
                for (i, e) in chunk.iter().enumerate() {
                    let index = (start + i) as u64;
                    if tree.leaf(index) != Some(&leaf_hash(e.as_ref())) {
                        return Err(TileError::EntryMismatch { index });
                    }
                }
                encode_entry_bundle(start as u64, chunk)?
            }
        };
        out.push(TileFile { path: tile.path(), tile, bytes });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashes(level: u8) -> TileKind {
        TileKind::Hashes(level)
    }

    #[test]
    fn index_paths_follow_the_spec() {
        assert_eq!(index_path(1_234_067), "x001/x234/067");
        assert_eq!(index_path(0), "000");
        assert_eq!(index_path(5), "005");
        assert_eq!(index_path(999), "999");
        assert_eq!(index_path(1000), "x001/000");
        assert_eq!(index_path(u64::MAX), "x018/x446/x744/x073/x709/x551/615");
        let t = Tile::new(hashes(0), 1_234_067, 256).unwrap();
        assert_eq!(t.path(), "tile/0/x001/x234/067");
        let t = Tile::new(hashes(2), 1, 17).unwrap();
        assert_eq!(t.path(), "tile/2/001.p/17");
        let t = Tile::new(TileKind::Entries, 273, 112).unwrap();
        assert_eq!(t.path(), "tile/entries/273.p/112");
    }

    #[test]
    fn paths_parse_back_and_non_canonical_ones_are_refused() {
        for path in [
            "tile/0/000",
            "tile/0/x001/x234/067",
            "tile/0/x001/x234/067.p/112",
            "tile/63/999.p/255",
            "tile/entries/x018/x446/x744/x073/x709/x551/615",
            "tile/entries/000.p/1",
        ] {
            assert_eq!(Tile::parse(path).unwrap().path(), path);
        }
        for bad in [
            "",
            "tile/",
            "tile/0",
            "tile/0/",
            "tile/00/000",
            "tile/64/000",
            "tile/-1/000",
            "tile/0/00",
            "tile/0/0000",
            "tile/0/x000/001",
            "tile/0/001/002",
            "tile/0/x001/x234/067.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/012",
            "tile/0/000.p/",
            "tile/0/000.q/1",
            "tile/data/000",
            "tiles/0/000",
            "tile/0/x018/x446/x744/x073/x709/x551/616",
            "tile/0/x001/x001/x018/x446/x744/x073/x709/x551/615",
            "tile/0/abc",
            "tile/0/000/",
            "/tile/0/000",
        ] {
            assert!(Tile::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Tile::new(hashes(0), 0, 0).is_err());
        assert!(Tile::new(hashes(0), 0, 257).is_err());
        assert!(Tile::new(hashes(64), 0, 1).is_err());
    }

    #[test]
    fn the_spec_example_tree_of_70000() {
        let tiles = tiles_for_size(70_000);
        let count = |level: u8, full: bool| {
            tiles.iter().filter(|t| t.level() == Some(level) && t.is_full() == full).count()
        };
        assert_eq!(count(0, true), 273);
        assert_eq!(count(0, false), 1);
        assert_eq!(count(1, true), 1);
        assert_eq!(count(1, false), 1);
        assert_eq!(count(2, true), 0);
        assert_eq!(count(2, false), 1);
        assert_eq!(tiles.iter().filter(|t| t.level().is_some_and(|l| l > 2)).count(), 0);
        let partial = |level| tiles.iter().find(|t| t.level() == Some(level) && !t.is_full());
        assert_eq!(partial(0).map(Tile::path).as_deref(), Some("tile/0/273.p/112"));
        assert_eq!(partial(1).map(Tile::path).as_deref(), Some("tile/1/001.p/17"));
        assert_eq!(partial(2).map(Tile::path).as_deref(), Some("tile/2/000.p/1"));
        let bundles: Vec<&Tile> = tiles.iter().filter(|t| t.level().is_none()).collect();
        assert_eq!(bundles.len(), 274);
        assert_eq!(bundles[273].path(), "tile/entries/273.p/112");
        // "A tree of size 256 will be represented by a full level 0 tile and a partial level 1
        // tile of width 1."
        let paths: Vec<String> = tiles_for_size(256).iter().map(Tile::path).collect();
        assert_eq!(paths, ["tile/0/000", "tile/1/000.p/1", "tile/entries/000"]);
        assert!(tiles_for_size(0).is_empty());
        // The largest tree: 7 levels of partial tiles and no level 8.
        assert_eq!(partial_tile(u64::MAX, 7).map(|t| t.width()), Some(255));
        assert_eq!(level_count(u64::MAX, 8), 0);
    }

    #[test]
    fn added_tiles_are_the_set_difference() {
        let set = |n: u64| -> std::collections::BTreeSet<Tile> {
            tiles_for_size(n).into_iter().collect()
        };
        for (old, new) in [
            (0, 0),
            (0, 1),
            (1, 1),
            (100, 101),
            (255, 256),
            (256, 257),
            (1023, 1025),
            (1024, 1030),
            (65_535, 65_536),
            (65_536, 70_000),
            (3, 70_000),
        ] {
            let added = tiles_added(old, new).unwrap();
            let want: Vec<Tile> = set(new).difference(&set(old)).copied().collect();
            assert_eq!(added, want, "{old} -> {new}");
            let gone = tiles_superseded(old, new).unwrap();
            let want: Vec<Tile> = set(old).difference(&set(new)).copied().collect();
            let mut gone_sorted = gone.clone();
            gone_sorted.sort();
            assert_eq!(gone_sorted, want, "{old} -> {new}");
            assert!(gone.iter().all(|t| !t.is_full()));
        }
        assert!(tiles_added(2, 1).is_err());
        assert!(tiles_superseded(2, 1).is_err());
    }

    #[test]
    fn entry_bundles_round_trip_and_refuse_long_entries() {
        let entries: Vec<Vec<u8>> = vec![vec![], vec![1, 2, 3], vec![7; 65_535]];
        let bytes = encode_entry_bundle(0, &entries).unwrap();
        assert_eq!(&bytes[..7], &[0, 0, 0, 3, 1, 2, 3]);
        let tile = Tile::new(TileKind::Entries, 0, 3).unwrap();
        assert_eq!(decode_entry_bundle(tile, &bytes).unwrap(), entries);
        let too_long = vec![vec![0u8; 65_536]];
        assert_eq!(
            encode_entry_bundle(10, &too_long),
            Err(TileError::EntryTooLong { index: 10, len: 65_536 })
        );
        for bad in [&bytes[..bytes.len() - 1], &bytes[..1], &[0, 0, 0][..]] {
            assert!(matches!(
                decode_entry_bundle(tile, bad),
                Err(TileError::MalformedBundle { .. })
            ));
        }
        let four = Tile::new(TileKind::Entries, 0, 4).unwrap();
        assert!(matches!(
            decode_entry_bundle(four, &bytes),
            Err(TileError::MalformedBundle { .. })
        ));
    }

    #[test]
    fn tile_files_of_a_small_log() {
        let entries: Vec<Vec<u8>> = (0..600u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let tree = MerkleTree::from_leaf_hashes(entries.iter().map(|e| leaf_hash(e)));
        let files = tile_files(&tree, &entries, 600).unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "tile/0/000",
                "tile/0/001",
                "tile/0/002.p/88",
                "tile/1/000.p/2",
                "tile/entries/000",
                "tile/entries/001",
                "tile/entries/002.p/88",
            ]
        );
        assert_eq!(files[0].bytes.len(), FULL_TILE_BYTES);
        assert_eq!(&files[0].bytes[..32], tree.leaf(0).unwrap());
        assert_eq!(files[2].bytes.len(), 88 * 32);
        // Level 1: the roots of the two full level-0 tiles.
        let sub =
            |a: usize, b: usize| MerkleTree::from_leaf_hashes(tree.leaves()[a..b].to_vec()).root();
        assert_eq!(&files[3].bytes[..32], &sub(0, 256));
        assert_eq!(&files[3].bytes[32..], &sub(256, 512));
        assert_eq!(files[4].bytes.len(), 256 * 6);

        // Growing to 700 rewrites only the partial tiles.
        let more: Vec<Vec<u8>> = (0..700u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let bigger = MerkleTree::from_leaf_hashes(more.iter().map(|e| leaf_hash(e)));
        let added = tile_files_added(&bigger, &more, 600, 700).unwrap();
        let paths: Vec<&str> = added.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["tile/0/002.p/188", "tile/entries/002.p/188"]);
        let all = tile_files(&bigger, &more, 700).unwrap();
        for f in &added {
            assert!(all.contains(f));
        }

        // Refusals.
        assert!(matches!(tile_files(&tree, &entries, 601), Err(TileError::SizeBeyondLog { .. })));
        assert!(matches!(
            tile_files(&tree, &entries[..599], 600),
            Err(TileError::EntriesShort { .. })
        ));
        let mut wrong = entries.clone();
        wrong[300] = b"other".to_vec();
        assert_eq!(tile_files(&tree, &wrong, 600), Err(TileError::EntryMismatch { index: 300 }));
        let long = vec![vec![0u8; 70_000]];
        let long_tree = MerkleTree::from_leaf_hashes([leaf_hash(&long[0])]);
        assert_eq!(
            tile_files(&long_tree, &long, 1),
            Err(TileError::EntryTooLong { index: 0, len: 70_000 })
        );
        let beyond = Tile::new(hashes(1), 0, 3).unwrap();
        assert!(matches!(tile_bytes(&tree, beyond), Err(TileError::SizeBeyondLog { .. })));
    }
}

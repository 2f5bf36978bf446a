//! Dense indices into the tables of an [`crate::Election`].
//!
//! Ids from the package (strings such as `BGD-01`) are resolved once, when a package is read;
//! everything after that works on these `u32` indices.

macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl $name {
            /// The position in its table.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }

            /// Index from a table position. Tables hold fewer than 2^32 rows (checked when read).
            #[inline]
            pub fn from_index(i: usize) -> Self {
                Self(u32::try_from(i).expect("tables hold fewer than 2^32 rows"))
            }
        }
    };
}

index_type!(
    /// A polling station.
    StationIdx
);
index_type!(
    /// A contest: a pool of seats allocated together (a district, or a reserved seat).
    ContestIdx
);
index_type!(
    /// A candidate.
    CandidateIdx
);
index_type!(
    /// A party (a list).
    PartyIdx
);
index_type!(
    /// A coalition (a bloc of parties).
    CoalitionIdx
);
/// A governorate (province, state, region): the level between contests and the nation.
///
/// Stored as its position plus one, so that an `Option<GovernorateIdx>` costs four bytes per
/// station rather than eight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GovernorateIdx(std::num::NonZeroU32);

impl GovernorateIdx {
    /// The position in its table.
    #[inline]
    pub fn index(self) -> usize {
        self.0.get() as usize - 1
    }

    /// Index from a table position. Tables hold fewer than 2^32 - 1 rows (checked when read).
    #[inline]
    pub fn from_index(i: usize) -> Self {
        let stored = u32::try_from(i + 1).expect("tables hold fewer than 2^32 - 1 rows");
        Self(std::num::NonZeroU32::new(stored).expect("position + 1 is never zero"))
    }
}
index_type!(
    /// An electoral system defined in the package.
    SystemIdx
);

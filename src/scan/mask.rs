//! The scanner's rule sets: which content rules a keyword feeds, and which
//! rules a file allows, as fixed-size bit masks over `Compiled::rules` in
//! `scan/mod.rs`.

/// A set of content rules, one bit per entry of `Compiled::rules`. Bit masks keep the
/// per-hit dispatch to a few instructions; four words leave room for gitleaks'
/// provider families and more (`Compiled::build` checks the bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RuleMask([u64; 4]);

impl RuleMask {
    pub(super) const EMPTY: Self = Self([0; 4]);
    pub(super) const ALL: Self = Self([u64::MAX; 4]);
    pub(super) const BITS: usize = 256;

    pub(super) fn bit(index: usize) -> Self {
        let mut words = [0; 4];
        words[index / 64] = 1 << (index % 64);
        Self(words)
    }

    pub(super) fn is_empty(self) -> bool {
        self.0 == [0; 4]
    }

    /// The set bits in ascending order (table order).
    pub(super) fn indices(self) -> impl Iterator<Item = usize> {
        self.0.into_iter().enumerate().flat_map(|(w, mut word)| {
            std::iter::from_fn(move || {
                (word != 0).then(|| {
                    let bit = word.trailing_zeros() as usize;
                    word &= word - 1;
                    w * 64 + bit
                })
            })
        })
    }
}

impl std::ops::BitOr for RuleMask {
    type Output = Self;
    fn bitor(self, other: Self) -> Self {
        Self(std::array::from_fn(|i| self.0[i] | other.0[i]))
    }
}

impl std::ops::BitOrAssign for RuleMask {
    fn bitor_assign(&mut self, other: Self) {
        *self = *self | other;
    }
}

impl std::ops::BitAndAssign for RuleMask {
    fn bitand_assign(&mut self, other: Self) {
        self.0 = std::array::from_fn(|i| self.0[i] & other.0[i]);
    }
}

impl std::ops::Not for RuleMask {
    type Output = Self;
    fn not(self) -> Self {
        Self(self.0.map(|w| !w))
    }
}

/// Which content rules a keyword feeds, as bit masks over `Compiled::rules`.
pub(super) struct KeywordRules {
    /// Rules whose keywords match in any case.
    pub(super) any_case: RuleMask,
    /// Rules that need the keyword's exact bytes, with those bytes.
    pub(super) exact: Vec<(&'static [u8], RuleMask)>,
}

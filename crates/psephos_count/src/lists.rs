//! Who fills a list's seats: closed lists in list order, open lists by personal votes, or the
//! common mix in which candidates with enough personal votes jump ahead.

use crate::apportion::Ratio;

/// How a list's seats go to its candidates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListRule {
    /// In list order.
    Closed,
    /// Candidates whose personal votes reach `jump` of the list's votes come first, by their
    /// votes; the others follow in list order (Czech municipal councils: 5 %).
    Preference { jump: Ratio },
    /// By personal votes alone; equal votes in list order (Iraq 2018 and 2025, before the
    /// women's rule).
    Open,
}

/// The list's candidates in the order they take its seats. `personal[k]` is the personal vote of
/// the k-th candidate in list order; `list_votes` the list's total.
pub fn list_order(personal: &[u128], list_votes: u128, rule: ListRule) -> Vec<usize> {
    let mut order: Vec<usize> = (0..personal.len()).collect();
    match rule {
        ListRule::Closed => {}
        ListRule::Open => order.sort_by(|&a, &b| personal[b].cmp(&personal[a]).then(a.cmp(&b))),
        ListRule::Preference { jump } => {
            // personal >= jump * list_votes, exactly.
            let jumps = |k: usize| personal[k] * jump.den >= jump.num * list_votes;
            let mut jumpers: Vec<usize> = order.iter().copied().filter(|&k| jumps(k)).collect();
            jumpers.sort_by(|&a, &b| personal[b].cmp(&personal[a]).then(a.cmp(&b)));
            let rest = order.iter().copied().filter(|&k| !jumps(k));
            order = jumpers.into_iter().chain(rest).collect();
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders() {
        let votes = [10, 50, 5, 30];
        assert_eq!(list_order(&votes, 95, ListRule::Closed), [0, 1, 2, 3]);
        assert_eq!(list_order(&votes, 95, ListRule::Open), [1, 3, 0, 2]);
        // 30 % of 95 = 28.5: only candidates 1 and 3 jump.
        assert_eq!(
            list_order(&votes, 95, ListRule::Preference { jump: Ratio::new(3, 10) }),
            [1, 3, 0, 2]
        );
        // 40 %: only candidate 1.
        assert_eq!(
            list_order(&votes, 95, ListRule::Preference { jump: Ratio::new(4, 10) }),
            [1, 0, 2, 3]
        );
    }
}

//! Walking the tree: finding a key's leaf, the path down to it, and ordered iteration
//! (forward and back) over a range.

use std::ops::Bound;
use std::sync::Arc;

use super::*;

/// Every non-empty leaf, in key order.
pub(super) fn collect<'a, K, V>(node: &'a Node<K, V>, out: &mut Vec<&'a Arc<Leaf<K, V>>>) {
    match node {
        Node::Leaf(l) if !l.keys.is_empty() => out.push(l),
        Node::Leaf(_) => {}
        Node::Branch(b) => b.kids.iter().for_each(|kid| collect(kid, out)),
    }
}

/// The leaf that holds `key`'s place (below every key: the first leaf), and the bounds
/// its parent gives it: its smallest key as the parent has it and the next child's
/// smallest (or the bound the parent had itself), which the search in each node down
/// the way guesses from. `step` is told each branch on the way and the child taken.
pub(super) fn leaf_for<'a, K: Ord + Guess, V>(
    root: &'a Node<K, V>,
    key: &K,
    mut step: impl FnMut(&'a Branch<K, V>, usize),
) -> (&'a Leaf<K, V>, Option<(&'a K, &'a K)>) {
    let (mut node, mut lo, mut hi) = (root, None, None);
    loop {
        match node {
            Node::Branch(b) => {
                let i = count_within(&b.keys, key, true, lo.zip(hi)).saturating_sub(1);
                step(b, i);
                lo = Some(&b.keys[i]);
                hi = b.keys.get(i + 1).or(hi);
                node = &b.kids[i];
            }
            Node::Leaf(l) => return (l, lo.zip(hi)),
        }
    }
}

/// How deep a tree can be. A tree gains a level only when its root splits, with more
/// than `MAX` children, each made by a split of a full node the level below: sixteen
/// levels take more than 32^15 splits, far past what any program runs.
pub(super) const DEPTH: usize = 16;

/// The branches from the root down to a leaf, each with the child taken, in place
/// rather than in a vector of its own.
pub(super) struct Path<'a, K, V> {
    pub(super) steps: [Option<(&'a Branch<K, V>, usize)>; DEPTH],
    pub(super) len: usize,
}

impl<'a, K, V> Path<'a, K, V> {
    pub(super) fn push(&mut self, step: (&'a Branch<K, V>, usize)) {
        self.steps[self.len] = Some(step);
        self.len += 1;
    }

    pub(super) fn pop(&mut self) -> Option<(&'a Branch<K, V>, usize)> {
        self.len = self.len.checked_sub(1)?;
        self.steps[self.len].take()
    }
}

/// A position among the entries: a leaf, an entry of it (or just past its last), and,
/// once the cursor has had to move to another leaf, the path to it from the root. A
/// range read that stays in one leaf, as a point lookup does, builds no path; one
/// that leaves it builds the path once, with one descent, and walks leaves from there.
pub(super) struct Cursor<'a, K, V> {
    pub(super) leaf: &'a Leaf<K, V>,
    pub(super) at: usize,
    pub(super) path: Option<Box<Path<'a, K, V>>>,
}

impl<'a, K: Ord + Guess, V> Cursor<'a, K, V> {
    /// A cursor at the first entry (or just past the last, `last`).
    pub(super) fn edge(root: &'a Node<K, V>, last: bool) -> Self {
        let mut node = root;
        loop {
            match node {
                Node::Branch(b) if last => node = b.kids.last().expect("a branch has children"),
                Node::Branch(b) => node = &b.kids[0],
                Node::Leaf(l) => return Cursor { leaf: l, at: if last { l.keys.len() } else { 0 }, path: None },
            }
        }
    }

    /// A cursor at a bound: for the front (`back` false) at the first entry within it;
    /// for the back, just past the last entry within it.
    pub(super) fn seek(root: &'a Node<K, V>, bound: Bound<&K>, back: bool) -> Self {
        let key = match bound {
            Bound::Included(k) | Bound::Excluded(k) => k,
            Bound::Unbounded => return Cursor::edge(root, back),
        };
        let (leaf, bounds) = leaf_for(root, key, |_, _| {});
        let inclusive = !matches!((bound, back), (Bound::Included(_), false) | (Bound::Excluded(_), true));
        Cursor { leaf, at: count_within(&leaf.keys, key, inclusive, bounds), path: None }
    }

    /// The path from the root to this cursor's leaf, found by the leaf's first key
    /// (only the root can be an empty leaf, and its path is empty).
    pub(super) fn path(&mut self, root: &'a Node<K, V>) -> &mut Path<'a, K, V> {
        let leaf = self.leaf;
        self.path.get_or_insert_with(|| {
            let mut path = Box::new(Path { steps: [None; DEPTH], len: 0 });
            if let Some(key) = leaf.keys.first() {
                leaf_for(root, key, |b, i| path.push((b, i)));
            }
            path
        })
    }

    /// Moves down child `i` of `b`, a branch just taken off the end of the path (it
    /// goes back on, with `i`), to the child's first leaf at its first entry, or to its
    /// last leaf just past its last entry (`last`).
    pub(super) fn enter(&mut self, b: &'a Branch<K, V>, i: usize, last: bool) {
        let path = self.path.as_mut().expect("a cursor moving between leaves has its path");
        path.push((b, i));
        let mut node = &b.kids[i];
        while let Node::Branch(b) = node {
            let i = if last { b.kids.len() - 1 } else { 0 };
            path.push((&**b, i));
            node = &b.kids[i];
        }
        let Node::Leaf(l) = node else { unreachable!("the loop above ends at a leaf") };
        self.leaf = l;
        self.at = if last { l.keys.len() } else { 0 };
    }

    /// Moves to the first entry of the next leaf; false at the last leaf.
    pub(super) fn next_leaf(&mut self, root: &'a Node<K, V>) -> bool {
        while let Some((b, i)) = self.path(root).pop() {
            if i + 1 < b.kids.len() {
                self.enter(b, i + 1, false);
                return true;
            }
        }
        false
    }

    /// Moves just past the last entry of the previous leaf; false at the first leaf.
    pub(super) fn prev_leaf(&mut self, root: &'a Node<K, V>) -> bool {
        while let Some((b, i)) = self.path(root).pop() {
            if i > 0 {
                self.enter(b, i - 1, true);
                return true;
            }
        }
        false
    }
}

/// The entries of a range, from either end: the front cursor is at the next entry to
/// give, the back cursor just past it; they have met when they are at one place. An
/// open end's cursor is made when that end is first walked from.
pub struct Iter<'a, K, V> {
    pub(super) root: &'a Node<K, V>,
    pub(super) front: Option<Cursor<'a, K, V>>,
    pub(super) back: Option<Cursor<'a, K, V>>,
    pub(super) done: bool,
}

impl<K, V> Iter<'_, K, V> {
    pub(super) fn met(&self) -> bool {
        match (&self.front, &self.back) {
            (Some(f), Some(b)) => std::ptr::eq(f.leaf, b.leaf) && f.at >= b.at,
            _ => false,
        }
    }
}

impl<'a, K: Ord + Guess, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        if self.front.is_none() {
            self.front = Some(Cursor::edge(self.root, false));
        }
        while !self.done && !self.met() {
            let front = self.front.as_mut().expect("made above");
            let (leaf, i) = (front.leaf, front.at);
            if i < leaf.keys.len() {
                front.at += 1;
                return Some((&leaf.keys[i], &leaf.vals[i]));
            }
            if !front.next_leaf(self.root) {
                break;
            }
        }
        self.done = true;
        None
    }
}

impl<K: Ord + Guess, V> DoubleEndedIterator for Iter<'_, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.back.is_none() {
            self.back = Some(Cursor::edge(self.root, true));
        }
        while !self.done && !self.met() {
            let back = self.back.as_mut().expect("made above");
            if back.at > 0 {
                back.at -= 1;
                let (leaf, i) = (back.leaf, back.at);
                return Some((&leaf.keys[i], &leaf.vals[i]));
            }
            if !back.prev_leaf(self.root) {
                break;
            }
        }
        self.done = true;
        None
    }
}

//! The map from fence keys to pages, and the set of an index's entries ([`KeySet`]): a
//! persistent B+ tree whose every read is one descent from the root.
//!
//! A table finds the page that holds a key by its *floor*: the greatest fence at or
//! below the key. `imbl::OrdMap` offers that only as a range (a cursor with its own
//! stack, set up and torn down for one entry), which cost point reads about as much
//! again as the lookup itself. Here a floor lookup is a plain walk down the tree, and a
//! write finds and copies the path to its page in the same walk.
//!
//! Each branch keeps the smallest key of every child, so the child that holds a key's
//! floor is the last one whose smallest key is at or below it. Nodes are shared
//! between versions behind `Arc`s and copied on first change (`Arc::make_mut`), as in
//! `imbl`: a snapshot is a clone of the root.
//!
//! - this file — [`PageMap`]: reads, writes, bulk building, estimates
//! - `node` — leaves and branches: insert, remove, split, join
//! - `cursor` — a key's leaf, the path to it, ordered iteration
//! - `keyset` — [`KeySet`], an index's entries

use std::cmp::Ordering;
use std::ops::Bound;
use std::sync::Arc;

use arrayvec::ArrayVec;

mod cursor;
mod keyset;
mod node;

pub use cursor::Iter;
use cursor::*;
pub use keyset::KeySet;
use node::*;

/// The most entries a leaf, or children a branch, holds before it splits (64 measured
/// best for point reads against 32 and 128).
const MAX: usize = 64;
/// A node with fewer joins a neighbour, when the two fit in one.
const MIN: usize = MAX / 4;

/// A node's entries, held in the node itself rather than behind a pointer of their
/// own: a descent reads a node's keys at a place it knows as soon as it has the node,
/// one wait on memory per level instead of two. Room for one more than `MAX`, which a
/// node holds for the moment between an insert and its split.
type Slots<T> = ArrayVec<T, { MAX + 1 }>;

/// The entries from `at` on, taken out of `items`.
fn split_off<T>(items: &mut Slots<T>, at: usize) -> Slots<T> {
    items.drain(at..).collect()
}

/// Keys whose place between two others can be estimated (numbers spread over a range).
/// A read's search in a node first looks where the key should be, as one looks a name
/// up in a phone book, and halves the node only when that look misses: for evenly
/// spread keys (row ids, most indexed numbers) two comparisons instead of six, each of
/// which may wait on memory and be mispredicted. Writes search by halving: they mostly
/// append, which halving predicts well and the estimate's division would only delay.
pub trait Guess {
    /// How far `key` lies from `lo` towards `hi` (`lo` < `hi`), from 0 to 1; `None` when
    /// the three give no estimate.
    fn fraction(lo: &Self, hi: &Self, key: &Self) -> Option<f64>;
}

/// Where `key` lies from `lo` towards `hi`, for numeric keys.
pub fn fraction(lo: f64, hi: f64, key: f64) -> Option<f64> {
    let f = (key - lo) / (hi - lo);
    f.is_finite().then_some(f)
}

/// How many of the ascending `keys` are below `key` (or at it too, if `inclusive`).
#[inline]
fn count_before<K: Ord + Guess>(keys: &[K], key: &K, inclusive: bool) -> usize {
    count_within(keys, key, inclusive, None)
}

/// [`count_before`], for keys known to lie from `lo` up to below `hi` (a node's bounds,
/// from its parent): the guess is made from them, without first reading the node's
/// own first and last keys, which are a wait on memory of their own in a node not
/// yet in cache. Without bounds the node's first and last keys are the bounds.
#[inline]
fn count_within<K: Ord + Guess>(keys: &[K], key: &K, inclusive: bool, bounds: Option<(&K, &K)>) -> usize {
    let before = |k: &K| if inclusive { k <= key } else { k < key };
    let guess = match (bounds, keys) {
        // Keys fill the span from `lo` up to `hi`, which is past the last of them.
        (Some((lo, hi)), [_, _, ..]) => {
            K::fraction(lo, hi, key).map(|f| (keys.len() as f64 * f.clamp(0.0, 1.0)) as usize)
        }
        (None, [lo, .., hi]) => {
            K::fraction(lo, hi, key).map(|f| ((keys.len() - 1) as f64 * f.clamp(0.0, 1.0)) as usize)
        }
        _ => None,
    };
    if let Some(g) = guess.map(|g| g.min(keys.len() - 1)) {
        // The answer is the first position whose key is not before `key`; the guess
        // is right when it sits just there.
        if before(&keys[g]) {
            if keys.get(g + 1).is_none_or(|k| !before(k)) {
                return g + 1;
            }
        } else if g == 0 || before(&keys[g - 1]) {
            return g;
        }
    }
    keys.partition_point(before)
}

#[derive(Clone)]
pub struct PageMap<K, V> {
    root: Node<K, V>,
    len: usize,
}

impl<K: crate::storage::memory::HeapSize, V> PageMap<K, V> {
    /// The bytes of the tree's nodes not counted in `fp` yet, with `val` counting each
    /// value's (a shared subtree counted already is passed over whole).
    pub fn footprint(
        &self,
        fp: &mut crate::storage::memory::Footprint,
        val: &mut dyn FnMut(&V, &mut crate::storage::memory::Footprint) -> usize,
    ) -> usize {
        self.root.footprint(fp, val)
    }
}

impl<K, V> Default for PageMap<K, V> {
    fn default() -> Self {
        PageMap { root: Node::default(), len: 0 }
    }
}

impl<K: Ord + Clone + Guess, V: Clone> PageMap<K, V> {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether both are the same version (shared, not compared).
    pub fn ptr_eq(&self, other: &Self) -> bool {
        match (&self.root, &other.root) {
            (Node::Leaf(a), Node::Leaf(b)) => Arc::ptr_eq(a, b),
            (Node::Branch(a), Node::Branch(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// The entry with the greatest key at or below `key`.
    pub fn floor(&self, key: &K) -> Option<(&K, &V)> {
        let (l, bounds) = leaf_for(&self.root, key, |_, _| {});
        let i = count_within(&l.keys, key, true, bounds).checked_sub(1)?;
        Some((&l.keys[i], &l.vals[i]))
    }

    /// The entry with the greatest key at or below `key`, to change: the path to it is
    /// copied where it is shared.
    pub fn floor_mut(&mut self, key: &K) -> Option<(&K, &mut V)> {
        // Below the smallest key there is no floor: no path is copied for nothing.
        if self.root.min_key().is_none_or(|min| min > key) {
            return None;
        }
        // Appends (ascending keys, the usual load) find their place past a node's last
        // key with one comparison instead of a search.
        let floor = |keys: &[K]| match keys.last() {
            Some(last) if last <= key => Some(keys.len() - 1),
            _ => keys.partition_point(|k| k <= key).checked_sub(1),
        };
        let mut node = &mut self.root;
        loop {
            match node {
                Node::Branch(b) => {
                    let i = floor(&b.keys)?;
                    node = &mut Arc::make_mut(b).kids[i];
                }
                Node::Leaf(l) => {
                    let i = floor(&l.keys)?;
                    let l = Arc::make_mut(l);
                    return Some((&l.keys[i], &mut l.vals[i]));
                }
            }
        }
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.floor(key).filter(|(k, _)| *k == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.get(key)?;
        self.floor_mut(key).map(|(_, v)| v)
    }

    pub fn first(&self) -> Option<(&K, &V)> {
        let mut node = &self.root;
        loop {
            match node {
                Node::Branch(b) => node = b.kids.first()?,
                Node::Leaf(l) => return Some((l.keys.first()?, l.vals.first()?)),
            }
        }
    }

    pub fn last(&self) -> Option<(&K, &V)> {
        let mut node = &self.root;
        loop {
            match node {
                Node::Branch(b) => node = b.kids.last()?,
                Node::Leaf(l) => return Some((l.keys.last()?, l.vals.last()?)),
            }
        }
    }

    /// A map of entries given in strictly ascending key order, built bottom up in full
    /// nodes (as rows arriving in key order would leave them).
    pub fn from_sorted(entries: impl IntoIterator<Item = (K, V)>) -> Self {
        let mut level: Vec<Node<K, V>> = Vec::new();
        let mut leaf = Leaf::empty();
        let mut len = 0;
        for (k, v) in entries {
            debug_assert!(leaf.keys.last().is_none_or(|last| *last < k), "keys in ascending order");
            leaf.keys.push(k);
            leaf.vals.push(v);
            len += 1;
            if leaf.keys.len() == MAX {
                let full = std::mem::replace(&mut leaf, Leaf::empty());
                level.push(Node::Leaf(Arc::new(full)));
            }
        }
        if !leaf.keys.is_empty() {
            level.push(Node::Leaf(Arc::new(leaf)));
        }
        while level.len() > 1 {
            level = level
                .chunks(MAX)
                .map(|kids| {
                    let keys = kids.iter().map(|k| k.min_key().expect("built nodes hold entries").clone()).collect();
                    Node::Branch(Arc::new(Branch { keys, kids: kids.iter().cloned().collect() }))
                })
                .collect();
        }
        PageMap { root: level.pop().unwrap_or_default(), len }
    }

    /// Stores `val` under `key`, returning the value it replaced.
    pub fn insert(&mut self, key: K, val: V) -> Option<V> {
        let (old, split) = self.root.insert(key, val);
        if let Some(right) = split {
            let left = std::mem::take(&mut self.root);
            let keys = [&left, &right].map(|n| n.min_key().expect("split halves hold entries").clone());
            self.root = Node::Branch(Arc::new(Branch {
                keys: keys.into_iter().collect(),
                kids: [left, right].into_iter().collect(),
            }));
        }
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// Adds entries given in strictly ascending key order (replacing the values of keys
    /// already here), each node that takes some copied and merged once: for many
    /// entries spread over the map, where one insert at a time would walk down and shift
    /// a node's entries once per entry. How many were new.
    pub fn insert_sorted(&mut self, entries: Vec<(K, V)>) -> usize {
        debug_assert!(entries.windows(2).all(|w| w[0].0 < w[1].0), "keys in ascending order");
        if entries.is_empty() {
            return 0;
        }
        let mut entries = entries.into_iter();
        let (added, right) = self.root.insert_sorted(&mut entries, None);
        let mut level = right;
        if !level.is_empty() {
            level.insert(0, std::mem::take(&mut self.root));
        }
        // The root's splits become a new root (or more levels, for a great many).
        while level.len() > 1 {
            let parts = level.len().div_ceil(MAX);
            let len = level.len();
            let mut nodes = level.into_iter();
            level = (0..parts)
                .map(|p| {
                    let kids: Slots<Node<K, V>> =
                        nodes.by_ref().take((p + 1) * len / parts - p * len / parts).collect();
                    let keys = kids.iter().map(|k| k.min_key().expect("built nodes hold entries").clone()).collect();
                    Node::Branch(Arc::new(Branch { keys, kids }))
                })
                .collect();
        }
        if let Some(root) = level.pop() {
            self.root = root;
        }
        self.len += added;
        added
    }

    /// Removes the keys given in strictly ascending order (callers name keys that are
    /// here), each node that holds some copied and sifted once; how many went.
    pub fn remove_sorted(&mut self, keys: &[K]) -> usize {
        debug_assert!(keys.windows(2).all(|w| w[0] < w[1]), "keys in ascending order");
        let removed = self.root.remove_sorted(keys);
        self.len -= removed;
        self.collapse();
        removed
    }

    /// Removes a key in one walk down, copying the shared nodes on its path as it
    /// goes: a key that is not there has its path copied for nothing (callers remove
    /// keys they know are there; asking first would cost every removal a second walk).
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let old = self.root.remove(key)?;
        self.len -= 1;
        self.collapse();
        Some(old)
    }

    /// A root with one child gives way to it.
    fn collapse(&mut self) {
        while let Node::Branch(b) = &self.root {
            match b.kids.len() {
                0 => self.root = Node::default(),
                1 => self.root = b.kids[0].clone(),
                _ => break,
            }
        }
    }

    /// The entries with keys in the range, in key order (or from the back). Each
    /// bounded end is found by one descent when the range is made, an open end only
    /// when it is first walked from; the entries between are walked as asked for.
    pub fn range(&self, lo: Bound<&K>, hi: Bound<&K>) -> Iter<'_, K, V> {
        let mut iter = Iter { root: &self.root, front: None, back: None, done: false };
        if !matches!(hi, Bound::Unbounded) {
            iter.back = Some(Cursor::seek(&self.root, hi, true));
        }
        if matches!(lo, Bound::Unbounded) {
            return iter;
        }
        let mut front = Cursor::seek(&self.root, lo, false);
        // The range is empty unless its first entry is within its end.
        while front.at == front.leaf.keys.len() {
            if !front.next_leaf(&self.root) {
                iter.done = true;
                return iter;
            }
        }
        let first = &front.leaf.keys[front.at];
        iter.done = match hi {
            Bound::Included(k) => first > k,
            Bound::Excluded(k) => first >= k,
            Bound::Unbounded => false,
        };
        iter.front = Some(front);
        iter
    }

    /// Every entry in key order.
    pub fn iter(&self) -> Iter<'_, K, V> {
        self.range(Bound::Unbounded, Bound::Unbounded)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// The entries that differ from `self` to `new`, in key order, as (old, new) pairs:
    /// `(Some, None)` removed, `(None, Some)` added, `(Some, Some)` changed. Leaves the two
    /// share are skipped whole; `same` says whether two values are one.
    pub fn diff<'a>(&'a self, new: &'a Self, same: impl Fn(&V, &V) -> bool) -> Vec<(Option<&'a V>, Option<&'a V>)> {
        let mut out = Vec::new();
        if self.ptr_eq(new) {
            return out;
        }
        let (mut a, mut b) = (Vec::new(), Vec::new());
        collect(&self.root, &mut a);
        collect(&new.root, &mut b);
        let (mut i, mut ia, mut j, mut jb) = (0, 0, 0, 0);
        let step = |leaves: &[&Arc<Leaf<K, V>>], at: &mut usize, entry: &mut usize| {
            *entry += 1;
            if *entry == leaves[*at].keys.len() {
                *at += 1;
                *entry = 0;
            }
        };
        loop {
            if ia == 0 && jb == 0 && i < a.len() && j < b.len() && Arc::ptr_eq(a[i], b[j]) {
                i += 1;
                j += 1;
                continue;
            }
            let x = a.get(i).map(|l| (&l.keys[ia], &l.vals[ia]));
            let y = b.get(j).map(|l| (&l.keys[jb], &l.vals[jb]));
            let order = match (x, y) {
                (None, None) => break,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some((kx, _)), Some((ky, _))) => kx.cmp(ky),
            };
            match order {
                Ordering::Less => {
                    out.push((x.map(|e| e.1), None));
                    step(&a, &mut i, &mut ia);
                }
                Ordering::Greater => {
                    out.push((None, y.map(|e| e.1)));
                    step(&b, &mut j, &mut jb);
                }
                Ordering::Equal => {
                    let (vx, vy) = (x.map(|e| e.1), y.map(|e| e.1));
                    if !vx.zip(vy).is_some_and(|(p, q)| same(p, q)) {
                        out.push((vx, vy));
                    }
                    step(&a, &mut i, &mut ia);
                    step(&b, &mut j, &mut jb);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    impl Guess for u16 {
        fn fraction(lo: &u16, hi: &u16, key: &u16) -> Option<f64> {
            super::fraction(*lo as f64, *hi as f64, *key as f64)
        }
    }

    #[derive(Clone, Debug)]
    enum Op {
        Insert(u16, u32),
        Remove(u16),
        InsertMany(BTreeMap<u16, u32>),
        RemoveMany(std::collections::BTreeSet<u16>),
        Snapshot,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            40 => (0u16..600, any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
            30 => (0u16..600).prop_map(Op::Remove),
            1 => proptest::collection::btree_map(0u16..600, any::<u32>(), 0..300).prop_map(Op::InsertMany),
            1 => proptest::collection::btree_set(0u16..600, 0..300).prop_map(Op::RemoveMany),
            8 => Just(Op::Snapshot),
        ]
    }

    /// Every branch holds its children's smallest keys, in order; leaves sit at one
    /// depth; no node but the root is empty or over full.
    fn check(node: &Node<u16, u32>, root: bool) -> usize {
        match node {
            Node::Leaf(l) => {
                assert!(l.keys.windows(2).all(|w| w[0] < w[1]));
                assert!(l.keys.len() <= MAX && (root || !l.keys.is_empty()));
                assert_eq!(l.keys.len(), l.vals.len());
                0
            }
            Node::Branch(b) => {
                assert!(b.kids.len() <= MAX && b.kids.len() >= if root { 2 } else { 1 });
                assert_eq!(b.keys.len(), b.kids.len());
                assert!(b.keys.windows(2).all(|w| w[0] < w[1]));
                let depths: Vec<usize> = b.kids.iter().map(|k| check(k, false)).collect();
                assert!(depths.windows(2).all(|w| w[0] == w[1]));
                for (k, kid) in b.keys.iter().zip(&b.kids) {
                    assert_eq!(Some(k), kid.min_key());
                }
                depths[0] + 1
            }
        }
    }

    fn bound(b: u8, k: u16) -> Bound<u16> {
        match b % 3 {
            0 => Bound::Included(k),
            1 => Bound::Excluded(k),
            _ => Bound::Unbounded,
        }
    }

    proptest! {
        /// A guessed search answers as halving does, whether the guess hits or not.
        #[test]
        fn guessed_search_agrees_with_halving(
            keys in proptest::collection::btree_set(any::<u16>(), 0..80),
            key in any::<u16>(),
        ) {
            let keys: Vec<u16> = keys.into_iter().collect();
            prop_assert_eq!(count_before(&keys, &key, true), keys.partition_point(|k| *k <= key));
            prop_assert_eq!(count_before(&keys, &key, false), keys.partition_point(|k| *k < key));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn behaves_as_an_ordered_map(ops in prop::collection::vec(op(), 1..1500), probes in prop::collection::vec((0u16..620, 0u8..3, 0u16..620, 0u8..3), 12)) {
            let mut map = PageMap::new();
            let mut model = BTreeMap::new();
            let mut snapshots = Vec::new();
            for op in ops {
                match op {
                    Op::Insert(k, v) => prop_assert_eq!(map.insert(k, v), model.insert(k, v)),
                    Op::Remove(k) => prop_assert_eq!(map.remove(&k), model.remove(&k)),
                    Op::InsertMany(entries) => {
                        let new = entries.keys().filter(|k| !model.contains_key(k)).count();
                        prop_assert_eq!(map.insert_sorted(entries.clone().into_iter().collect()), new);
                        model.extend(entries);
                        check(&map.root, true);
                    }
                    Op::RemoveMany(keys) => {
                        let keys: Vec<u16> = keys.into_iter().collect();
                        let there = keys.iter().filter(|k| model.remove(k).is_some()).count();
                        prop_assert_eq!(map.remove_sorted(&keys), there);
                        check(&map.root, true);
                    }
                    Op::Snapshot => snapshots.push((map.clone(), model.clone())),
                }
            }
            check(&map.root, true);
            prop_assert_eq!(map.len(), model.len());
            prop_assert!(map.iter().map(|(k, v)| (*k, *v)).eq(model.iter().map(|(k, v)| (*k, *v))));
            prop_assert!(map.iter().rev().map(|(k, _)| *k).eq(model.keys().rev().copied()));
            prop_assert_eq!(map.first().map(|(k, _)| *k), model.keys().next().copied());
            prop_assert_eq!(map.last().map(|(k, _)| *k), model.keys().next_back().copied());
            for (a, ab, b, bb) in probes {
                prop_assert_eq!(map.floor(&a).map(|(k, v)| (*k, *v)), model.range(..=a).next_back().map(|(k, v)| (*k, *v)));
                prop_assert_eq!(map.get(&a), model.get(&a));
                let (lo, hi) = (bound(ab, a.min(b)), bound(bb, a.max(b)));
                if matches!((lo, hi), (Bound::Excluded(x), Bound::Excluded(y)) if x == y) {
                    continue; // an empty range BTreeMap refuses
                }
                let got: Vec<u16> = map.range(lo.as_ref(), hi.as_ref()).map(|(k, _)| *k).collect();
                let want: Vec<u16> = model.range((lo, hi)).map(|(k, _)| *k).collect();
                prop_assert_eq!(&got, &want);
                let back: Vec<u16> = map.range(lo.as_ref(), hi.as_ref()).rev().map(|(k, _)| *k).collect();
                prop_assert!(back.iter().eq(want.iter().rev()));
                // Taken from both ends at once, each entry comes out once.
                let mut both = map.range(lo.as_ref(), hi.as_ref());
                let mut seen = Vec::new();
                while let Some((k, _)) = if seen.len() % 2 == 0 { both.next() } else { both.next_back() } {
                    seen.push(*k);
                }
                seen.sort();
                prop_assert_eq!(seen, want);
                if let Some((k, _)) = map.floor(&a) {
                    let k = *k;
                    *map.floor_mut(&a).expect("a floor").1 += 1;
                    *model.get_mut(&k).expect("in the model") += 1;
                }
            }
            check(&map.root, true);
            // Snapshots kept their contents through every later change, and diffs
            // between them and now name exactly the entries that differ.
            for (old, old_model) in &snapshots {
                prop_assert!(old.iter().map(|(k, v)| (*k, *v)).eq(old_model.iter().map(|(k, v)| (*k, *v))));
                let diff: Vec<(Option<u32>, Option<u32>)> =
                    old.diff(&map, |a, b| a == b).into_iter().map(|(a, b)| (a.copied(), b.copied())).collect();
                let keys: std::collections::BTreeSet<u16> = old_model.keys().chain(model.keys()).copied().collect();
                let want: Vec<(Option<u32>, Option<u32>)> = keys
                    .into_iter()
                    .map(|k| (old_model.get(&k).copied(), model.get(&k).copied()))
                    .filter(|(a, b)| a != b)
                    .collect();
                prop_assert_eq!(diff, want);
            }
        }
    }

    #[test]
    fn a_map_built_from_sorted_entries_is_whole_and_keeps_working() {
        for n in [0u16, 1, 31, 32, 33, 1_000, 1_025, 5_000] {
            let mut map = PageMap::from_sorted((0..n).map(|k| (k * 2, u32::from(k))));
            check(&map.root, true);
            assert_eq!(map.len(), usize::from(n));
            assert!(map.iter().map(|(k, _)| *k).eq((0..n).map(|k| k * 2)));
            for k in 0..n {
                assert_eq!(map.insert(k * 2 + 1, 0), None);
            }
            for k in (0..n).step_by(3) {
                assert_eq!(map.remove(&(k * 2)), Some(u32::from(k)));
            }
            check(&map.root, true);
            let want: Vec<u16> = (0..n * 2).filter(|k| k % 2 == 1 || (k / 2) % 3 != 0).collect();
            assert!(map.iter().map(|(k, _)| *k).eq(want.iter().copied()));
            assert_eq!(map.len(), want.len());
        }
    }

    #[test]
    fn many_entries_at_once_grow_and_shrink_the_tree_by_levels() {
        let mut map = PageMap::new();
        assert_eq!(map.insert_sorted((0..20_000u16).map(|k| (k * 3, u32::from(k))).collect()), 20_000);
        check(&map.root, true);
        let kept = map.clone();
        // Every key between, then a third of all, then all of them again.
        assert_eq!(map.insert_sorted((0..20_000u16).map(|k| (k * 3 + 1, 0)).collect()), 20_000);
        check(&map.root, true);
        let thirds: Vec<u16> = (0..60_000u16).step_by(3).collect();
        assert_eq!(map.remove_sorted(&thirds), 20_000);
        check(&map.root, true);
        assert!(map.iter().map(|(k, _)| *k).eq((0..20_000u16).map(|k| k * 3 + 1)));
        let all: Vec<u16> = map.iter().map(|(k, _)| *k).collect();
        assert_eq!(map.remove_sorted(&all), 20_000);
        assert!(map.is_empty() && map.first().is_none());
        check(&map.root, true);
        // The clone taken on the way saw none of it.
        assert!(kept.iter().map(|(k, v)| (*k, *v)).eq((0..20_000u16).map(|k| (k * 3, u32::from(k)))));
    }

    #[test]
    fn keys_in_order_fill_their_leaves() {
        let mut map = PageMap::new();
        for k in 0..10_000u16 {
            map.insert(k, u32::from(k));
        }
        check(&map.root, true);
        let mut leaves = Vec::new();
        collect(&map.root, &mut leaves);
        assert_eq!(leaves.len(), 10_000usize.div_ceil(MAX));
        assert_eq!(map.floor(&20_000).map(|(k, _)| *k), Some(9_999));
        for k in 0..10_000u16 {
            assert_eq!(map.remove(&k), Some(u32::from(k)));
        }
        assert!(map.is_empty() && map.first().is_none());
        check(&map.root, true);
    }
}

//! The tree's nodes: leaves of keys and values, branches of children with the smallest
//! key of each; inserting, removing and splitting and joining them, copying a shared
//! node on its first change.

use std::sync::Arc;

use super::*;

#[derive(Clone)]
pub(super) enum Node<K, V> {
    Leaf(Arc<Leaf<K, V>>),
    Branch(Arc<Branch<K, V>>),
}

#[derive(Clone)]
pub(super) struct Leaf<K, V> {
    pub(super) keys: Slots<K>,
    pub(super) vals: Slots<V>,
}

impl<K, V> Leaf<K, V> {
    pub(super) fn empty() -> Leaf<K, V> {
        Leaf { keys: Slots::new(), vals: Slots::new() }
    }
}

#[derive(Clone)]
pub(super) struct Branch<K, V> {
    /// The smallest key under each child.
    pub(super) keys: Slots<K>,
    pub(super) kids: Slots<Node<K, V>>,
}

impl<K: crate::storage::memory::HeapSize, V> Node<K, V> {
    pub(super) fn footprint(
        &self,
        fp: &mut crate::storage::memory::Footprint,
        val: &mut dyn FnMut(&V, &mut crate::storage::memory::Footprint) -> usize,
    ) -> usize {
        match self {
            Node::Leaf(l) => fp.arc(l, |fp| {
                l.keys.iter().map(|k| k.heap_bytes(fp)).sum::<usize>()
                    + l.vals.iter().map(|v| val(v, fp)).sum::<usize>()
            }),
            Node::Branch(b) => fp.arc(b, |fp| {
                b.keys.iter().map(|k| k.heap_bytes(fp)).sum::<usize>()
                    + b.kids.iter().map(|k| k.footprint(fp, val)).sum::<usize>()
            }),
        }
    }
}

impl<K, V> Node<K, V> {
    pub(super) fn len(&self) -> usize {
        match self {
            Node::Leaf(l) => l.keys.len(),
            Node::Branch(b) => b.kids.len(),
        }
    }

    pub(super) fn min_key(&self) -> Option<&K> {
        match self {
            Node::Leaf(l) => l.keys.first(),
            Node::Branch(b) => b.keys.first(),
        }
    }
}

impl<K: Ord + Clone + Guess, V: Clone> Node<K, V> {
    /// Inserts or replaces; the old value, and the right half when the node split.
    pub(super) fn insert(&mut self, key: K, val: V) -> (Option<V>, Option<Node<K, V>>) {
        match self {
            Node::Leaf(leaf) => {
                let leaf = Arc::make_mut(leaf);
                match leaf.keys.binary_search(&key) {
                    Ok(i) => (Some(std::mem::replace(&mut leaf.vals[i], val)), None),
                    Err(i) => {
                        leaf.keys.insert(i, key);
                        leaf.vals.insert(i, val);
                        if leaf.keys.len() <= MAX {
                            return (None, None);
                        }
                        let at = split_point(i, leaf.keys.len());
                        let right = Leaf { keys: split_off(&mut leaf.keys, at), vals: split_off(&mut leaf.vals, at) };
                        (None, Some(Node::Leaf(Arc::new(right))))
                    }
                }
            }
            Node::Branch(branch) => {
                let branch = Arc::make_mut(branch);
                let i = branch.keys.partition_point(|k| *k <= key).saturating_sub(1);
                if key < branch.keys[i] {
                    branch.keys[i] = key.clone();
                }
                let (old, split) = branch.kids[i].insert(key, val);
                let Some(right) = split else { return (old, None) };
                let right_min = right.min_key().expect("a split-off node holds entries").clone();
                branch.keys.insert(i + 1, right_min);
                branch.kids.insert(i + 1, right);
                if branch.kids.len() <= MAX {
                    return (old, None);
                }
                let at = split_point(i + 1, branch.kids.len());
                let right = Branch { keys: split_off(&mut branch.keys, at), kids: split_off(&mut branch.kids, at) };
                (old, Some(Node::Branch(Arc::new(right))))
            }
        }
    }

    /// Removes the entry under `key`, which the caller knows is there.
    pub(super) fn remove(&mut self, key: &K) -> Option<V> {
        match self {
            Node::Leaf(leaf) => {
                let i = leaf.keys.binary_search(key).ok()?;
                let leaf = Arc::make_mut(leaf);
                leaf.keys.remove(i);
                Some(leaf.vals.remove(i))
            }
            Node::Branch(branch) => {
                let i = branch.keys.partition_point(|k| k <= key).checked_sub(1)?;
                let branch = Arc::make_mut(branch);
                let old = branch.kids[i].remove(key)?;
                match branch.kids[i].min_key() {
                    None => {
                        branch.kids.remove(i);
                        branch.keys.remove(i);
                    }
                    Some(min) => {
                        branch.keys[i] = min.clone();
                        if branch.kids[i].len() < MIN && branch.kids.len() > 1 {
                            let left = if i + 1 < branch.kids.len() { i } else { i - 1 };
                            branch.merge(left);
                        }
                    }
                }
                Some(old)
            }
        }
    }
}

impl<K: Ord + Clone + Guess, V: Clone> Node<K, V> {
    /// Removes each of `keys` (ascending, distinct) found under this node; how many went.
    /// Only the nodes that hold one are copied.
    pub(super) fn remove_sorted(&mut self, keys: &[K]) -> usize {
        match self {
            Node::Leaf(leaf) => {
                let gone = positions(&leaf.keys, keys);
                if gone == 0 {
                    return 0;
                }
                match Arc::get_mut(leaf) {
                    Some(l) => {
                        retain_by(&mut l.keys, gone);
                        retain_by(&mut l.vals, gone);
                    }
                    // A shared leaf is copied without the entries that go, not copied
                    // whole and then shifted once per removal.
                    None => *leaf = Arc::new(Leaf { keys: kept(&leaf.keys, gone), vals: kept(&leaf.vals, gone) }),
                }
                gone.count_ones() as usize
            }
            Node::Branch(branch) => {
                // Keys below the first child's smallest are under no child.
                let mut rest = &keys[keys.partition_point(|k| *k < branch.keys[0])..];
                if rest.is_empty() {
                    return 0;
                }
                let b = Arc::make_mut(branch);
                let mut removed = 0;
                let mut emptied = false;
                while let Some(first) = rest.first() {
                    let i = b.keys.partition_point(|k| k <= first) - 1;
                    let end = b.keys.get(i + 1).map_or(rest.len(), |next| rest.partition_point(|k| k < next));
                    let (mine, after) = rest.split_at(end);
                    rest = after;
                    removed += b.kids[i].remove_sorted(mine);
                    match b.kids[i].min_key() {
                        Some(min) if *min != b.keys[i] => b.keys[i] = min.clone(),
                        Some(_) => {}
                        None => emptied = true,
                    }
                }
                if emptied {
                    let empty = b
                        .kids
                        .iter()
                        .enumerate()
                        .filter(|(_, kid)| kid.len() == 0)
                        .fold(0, |bits, (i, _)| bits | 1 << i);
                    retain_by(&mut b.kids, empty);
                    retain_by(&mut b.keys, empty);
                }
                // Children left small join a neighbour where the two fit in one.
                let mut i = 0;
                while i + 1 < b.kids.len() {
                    let before = b.kids.len();
                    if b.kids[i].len() < MIN || b.kids[i + 1].len() < MIN {
                        b.merge(i);
                    }
                    if b.kids.len() == before {
                        i += 1;
                    }
                }
                removed
            }
        }
    }

    /// Adds the entries `entries` yields below `bound` (all of them without one), in
    /// ascending key order, replacing those whose key is here; how many were new, and
    /// the nodes split off to this one's right, in order.
    pub(super) fn insert_sorted(
        &mut self,
        entries: &mut std::vec::IntoIter<(K, V)>,
        bound: Option<&K>,
    ) -> (usize, Vec<Node<K, V>>) {
        match self {
            Node::Leaf(leaf) => {
                let incoming = match bound {
                    Some(b) => entries.as_slice().partition_point(|(k, _)| k < b),
                    None => entries.len(),
                };
                if leaf.keys.len() + incoming <= MAX {
                    // They fit: each goes in at its place, the ones after it shifted.
                    let l = Arc::make_mut(leaf);
                    let (mut added, mut from) = (0, 0);
                    for (k, v) in entries.take(incoming) {
                        let i = from + l.keys[from..].partition_point(|old| *old < k);
                        if l.keys.get(i) == Some(&k) {
                            l.vals[i] = v;
                        } else {
                            l.keys.insert(i, k);
                            l.vals.insert(i, v);
                            added += 1;
                        }
                        from = i + 1;
                    }
                    return (added, Vec::new());
                }
                let (mut keys, mut vals, added) = match Arc::get_mut(leaf) {
                    Some(l) => {
                        let old = std::mem::take(&mut l.keys).into_iter().zip(std::mem::take(&mut l.vals));
                        merged(old, entries, bound)
                    }
                    None => merged(leaf.keys.iter().cloned().zip(leaf.vals.iter().cloned()), entries, bound),
                };
                let right = cut(&mut keys, &mut vals);
                let (keys, vals) = (keys.into_iter().collect(), vals.into_iter().collect());
                match Arc::get_mut(leaf) {
                    Some(l) => (l.keys, l.vals) = (keys, vals),
                    None => *leaf = Arc::new(Leaf { keys, vals }),
                }
                let right = right.into_iter().map(|(keys, vals)| {
                    Node::Leaf(Arc::new(Leaf { keys: keys.into_iter().collect(), vals: vals.into_iter().collect() }))
                });
                (added, right.collect())
            }
            Node::Branch(branch) => {
                // Worked on as lists: a child may split into more nodes than this
                // one has room for, until it is cut into pieces below.
                let b = Arc::make_mut(branch);
                let mut keys: Vec<K> = std::mem::take(&mut b.keys).into_iter().collect();
                let mut kids: Vec<Node<K, V>> = std::mem::take(&mut b.kids).into_iter().collect();
                let mut added = 0;
                loop {
                    let i = match entries.as_slice().first() {
                        Some((next, _)) if bound.is_none_or(|b| next < b) => {
                            keys.partition_point(|k| k <= next).saturating_sub(1)
                        }
                        _ => break,
                    };
                    let (n, right) = kids[i].insert_sorted(entries, keys.get(i + 1).or(bound));
                    added += n;
                    let min = kids[i].min_key().expect("a child holds entries");
                    if *min != keys[i] {
                        keys[i] = min.clone();
                    }
                    let mins: Vec<K> =
                        right.iter().map(|n| n.min_key().expect("a split-off node holds entries").clone()).collect();
                    keys.splice(i + 1..i + 1, mins);
                    kids.splice(i + 1..i + 1, right);
                }
                let right = cut(&mut keys, &mut kids);
                (b.keys, b.kids) = (keys.into_iter().collect(), kids.into_iter().collect());
                let right = right.into_iter().map(|(keys, kids)| {
                    Node::Branch(Arc::new(Branch {
                        keys: keys.into_iter().collect(),
                        kids: kids.into_iter().collect(),
                    }))
                });
                (added, right.collect())
            }
        }
    }
}

/// The positions in `have` (ascending) of the `keys` (ascending) found there, as bits.
pub(super) fn positions<K: Ord + Guess>(have: &[K], keys: &[K]) -> u128 {
    const { assert!(MAX < 128, "a node's positions fit in 128 bits") };
    let mut bits = 0u128;
    let mut from = 0;
    for key in keys {
        let i = from + count_before(&have[from..], key, false);
        if have.get(i) == Some(key) {
            bits |= 1 << i;
            from = i + 1;
        } else {
            from = i;
        }
    }
    bits
}

/// Drops the items whose positions are set in `gone`.
pub(super) fn retain_by<T>(items: &mut Slots<T>, gone: u128) {
    let mut i = 0;
    items.retain(|_| {
        i += 1;
        gone >> (i - 1) & 1 == 0
    });
}

/// Copies of the items whose positions are not set in `gone`.
pub(super) fn kept<T: Clone>(items: &[T], gone: u128) -> Slots<T> {
    items.iter().enumerate().filter(|(i, _)| gone >> i & 1 == 0).map(|(_, x)| x.clone()).collect()
}

/// A leaf's entries (`old`) merged with those `entries` yields below `bound`, an
/// incoming entry replacing an old one of its key; and how many were new.
pub(super) fn merged<K: Ord, V>(
    old: impl ExactSizeIterator<Item = (K, V)>,
    entries: &mut std::vec::IntoIter<(K, V)>,
    bound: Option<&K>,
) -> (Vec<K>, Vec<V>, usize) {
    let mut old = old.peekable();
    let incoming = match bound {
        Some(b) => entries.as_slice().partition_point(|(k, _)| k < b),
        None => entries.len(),
    };
    let room = old.len() + incoming;
    let (mut keys, mut vals) = (Vec::with_capacity(room), Vec::with_capacity(room));
    let mut added = 0;
    for (k, v) in entries.take(incoming) {
        while let Some((ok, ov)) = old.next_if(|(ok, _)| *ok < k) {
            keys.push(ok);
            vals.push(ov);
        }
        if old.next_if(|(ok, _)| *ok == k).is_none() {
            added += 1;
        }
        keys.push(k);
        vals.push(v);
    }
    for (k, v) in old {
        keys.push(k);
        vals.push(v);
    }
    (keys, vals, added)
}

/// Cuts an overfull node's entries (two parallel lists) into as few pieces of at most
/// `MAX` as hold them, of even sizes: the first stays, the rest are returned in order.
pub(super) fn cut<A, B>(a: &mut Vec<A>, b: &mut Vec<B>) -> Vec<(Vec<A>, Vec<B>)> {
    let len = a.len();
    if len <= MAX {
        return Vec::new();
    }
    let parts = len.div_ceil(MAX);
    let mut out: Vec<(Vec<A>, Vec<B>)> = (1..parts)
        .rev()
        .map(|p| {
            let at = p * len / parts;
            (a.split_off(at), b.split_off(at))
        })
        .collect();
    out.reverse();
    out
}

/// Where a node that overflowed after an insert at `at` splits: entries arriving in key
/// order (at the end) leave a full node behind them; others split it in half.
pub(super) fn split_point(at: usize, len: usize) -> usize {
    if at == len - 1 {
        len - 1
    } else {
        len / 2
    }
}

impl<K: Clone, V: Clone> Branch<K, V> {
    /// Joins child `i + 1` into child `i` when the two fit in one node.
    pub(super) fn merge(&mut self, i: usize) {
        if self.kids[i].len() + self.kids[i + 1].len() > MAX {
            return;
        }
        let right = self.kids.remove(i + 1);
        self.keys.remove(i + 1);
        match (&mut self.kids[i], right) {
            (Node::Leaf(left), Node::Leaf(right)) => {
                let left = Arc::make_mut(left);
                left.keys.extend(right.keys.iter().cloned());
                left.vals.extend(right.vals.iter().cloned());
            }
            (Node::Branch(left), Node::Branch(right)) => {
                let left = Arc::make_mut(left);
                left.keys.extend(right.keys.iter().cloned());
                left.kids.extend(right.kids.iter().cloned());
            }
            _ => unreachable!("siblings are at one depth"),
        }
    }
}

impl<K, V> Default for Node<K, V> {
    fn default() -> Self {
        Node::Leaf(Arc::new(Leaf::empty()))
    }
}

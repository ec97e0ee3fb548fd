//! The second stage of clustering: shapes merged into patterns, as Drain merges log lines.
//!
//! Drain (He, Zhu, Zheng, Lyu: "Drain: An Online Log Parsing Approach with Fixed Depth Tree",
//! ICWS 2017; the `drain3` library is its maintained implementation) routes each line through
//! a tree of fixed depth: first by its token count, then by its first tokens, to a leaf holding
//! a few clusters; the line joins the most similar cluster of that leaf (the share of positions
//! whose tokens are equal) when the similarity reaches a threshold, and the positions where they
//! differ become variables. Loupe runs the same algorithm over the groups of
//! [`super::groups`] (each group is one shape with its varying positions already known), with
//! these choices:
//!
//! - The tree routes by token count, then by the first [`DEPTH`] *words* (punctuation and
//!   typed tokens skipped: most lines start with a timestamp or a bracket, which say nothing
//!   about the template). A word with a digit or that varies goes to the `*` child, as in
//!   Drain, and so does any word once a node has [`MAX_CHILDREN`] children.
//! - Similarity is the share of positions where both sides hold the same token, or typed
//!   tokens of the same type (what masking numbers, addresses and ids before Drain, as `drain3`
//!   does, amounts to). Punctuation is structure, not content: equal punctuation counts for
//!   neither side, differing punctuation counts against. Positions already variable and untyped
//!   do not count as equal.
//! - A group joins the most similar cluster of its leaf at [`SIMILARITY`] or more (ties: the
//!   one with more variables, as Drain, then the older); else it starts a cluster. A leaf that
//!   already holds [`MAX_CLUSTERS`] clusters makes the group join the most similar one anyway,
//!   which bounds the work per group.
//! - Routing by leading words keeps lines apart whose first words are values (`alice logged
//!   in`, `bob logged in`). A last pass merges clusters of the same length across leaves when
//!   their templates are [`MERGE_SIMILARITY`] similar (stricter than within a leaf, so that
//!   `Starting server` and `Stopping server` stay two patterns), comparing each with at most
//!   [`MAX_CLUSTERS`] earlier ones.
//! - Groups come in a fixed order, most events first (then by shape), so the clusters are the
//!   same whatever order the events were read in.

use std::collections::HashMap;

use super::groups::Group;
use super::tokens::TokenType;

/// Leading words the tree routes by (Drain's depth minus the root and length levels).
pub const DEPTH: usize = 2;
/// Children a tree node has before the rest share its `*` child.
pub const MAX_CHILDREN: usize = 100;
/// The similarity a group needs to join a cluster of its leaf.
pub const SIMILARITY: f64 = 0.5;
/// The similarity two clusters of different leaves need to merge.
pub const MERGE_SIMILARITY: f64 = 0.7;
/// Clusters a leaf holds; clusters the last pass compares each one with.
pub const MAX_CLUSTERS: usize = 100;

/// A position of a cluster's template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// Every event has the same token here.
    Static,
    /// The events' tokens differ here.
    Dynamic,
}

/// A cluster: its template and the groups in it (indexes into the clustered groups, the
/// first giving the static tokens' text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    pub slots: Vec<Slot>,
    /// The set of token types seen at each position ([`TokenType::bit`]).
    pub types: Vec<u8>,
    pub members: Vec<usize>,
}

/// One side of a comparison: per position, the static text (or `None`) and the type set.
trait Template<'g> {
    fn len(&self) -> usize;
    fn text(&self, i: usize) -> Option<&'g str>;
    fn types(&self, i: usize) -> u8;
}

struct OfGroup<'g>(&'g Group);

impl<'g> Template<'g> for OfGroup<'g> {
    fn len(&self) -> usize {
        self.0.types.len()
    }
    fn text(&self, i: usize) -> Option<&'g str> {
        (!self.0.varies[i]).then(|| self.0.token(i))
    }
    fn types(&self, i: usize) -> u8 {
        self.0.types[i].bit()
    }
}

struct OfCluster<'c, 'g>(&'c Cluster, &'g [Group]);

impl<'g> Template<'g> for OfCluster<'_, 'g> {
    fn len(&self) -> usize {
        self.0.slots.len()
    }
    fn text(&self, i: usize) -> Option<&'g str> {
        (self.0.slots[i] == Slot::Static).then(|| self.1[self.0.members[0]].token(i))
    }
    fn types(&self, i: usize) -> u8 {
        self.0.types[i]
    }
}

/// The similarity of two templates of one length (see the module docs).
fn similarity<'g>(a: &impl Template<'g>, b: &impl Template<'g>) -> f64 {
    let punct = TokenType::Punct.bit();
    let (mut same, mut counted) = (0usize, 0usize);
    for i in 0..a.len().min(b.len()) {
        let (ta, tb) = (a.text(i), b.text(i));
        let equal = ta.is_some() && ta == tb;
        if a.types(i) == punct && b.types(i) == punct && equal {
            continue;
        }
        counted += 1;
        let typed = dynamic_type(a.types(i)).is_some() && a.types(i) == b.types(i);
        if equal || typed {
            same += 1;
        }
    }
    if counted == 0 {
        1.0
    } else {
        same as f64 / counted as f64
    }
}

impl Cluster {
    fn new(index: usize, group: &Group) -> Cluster {
        Cluster {
            slots: group
                .varies
                .iter()
                .map(|v| if *v { Slot::Dynamic } else { Slot::Static })
                .collect(),
            types: group.types.iter().map(|t| t.bit()).collect(),
            members: vec![index],
        }
    }

    fn variables(&self) -> usize {
        self.slots.iter().filter(|s| **s == Slot::Dynamic).count()
    }

    /// Takes in `other` (a group as a one-member cluster, or a cluster of another leaf).
    fn absorb(&mut self, groups: &[Group], other: Cluster) {
        for i in 0..self.slots.len() {
            let mine = OfCluster(self, groups).text(i);
            let theirs = OfCluster(&other, groups).text(i);
            if mine.is_none() || mine != theirs {
                self.slots[i] = Slot::Dynamic;
            }
            self.types[i] |= other.types[i];
        }
        self.members.extend(other.members);
    }
}

#[derive(Default)]
struct Node {
    children: HashMap<String, usize>,
    clusters: Vec<usize>,
}

const WILDCARD: &str = "*";

/// Clusters `groups`, taken in the order given (see the module docs for the order to use).
pub fn cluster(groups: &[Group], order: &[usize]) -> Vec<Cluster> {
    let mut nodes: Vec<Node> = vec![Node::default()];
    let mut clusters: Vec<Cluster> = Vec::new();
    for &index in order {
        let group = &groups[index];
        let leaf = descend(&mut nodes, group);
        let mut best: Option<(usize, f64, usize)> = None;
        for &c in &nodes[leaf].clusters {
            let sim = similarity(&OfCluster(&clusters[c], groups), &OfGroup(group));
            let variables = clusters[c].variables();
            let better = match best {
                None => true,
                Some((_, s, v)) => sim > s || (sim == s && variables > v),
            };
            if better {
                best = Some((c, sim, variables));
            }
        }
        match best {
            Some((c, sim, _))
                if sim >= SIMILARITY || nodes[leaf].clusters.len() >= MAX_CLUSTERS =>
            {
                let one = Cluster::new(index, group);
                clusters[c].absorb(groups, one);
            }
            _ => {
                nodes[leaf].clusters.push(clusters.len());
                clusters.push(Cluster::new(index, group));
            }
        }
    }
    merge_across_leaves(groups, clusters)
}

/// The last pass: clusters of one length merged when their templates are similar enough.
fn merge_across_leaves(groups: &[Group], clusters: Vec<Cluster>) -> Vec<Cluster> {
    let mut kept: Vec<Cluster> = Vec::new();
    let mut by_length: HashMap<usize, Vec<usize>> = HashMap::new();
    for c in clusters {
        let same_length = by_length.entry(c.slots.len()).or_default();
        let mut best: Option<(usize, f64)> = None;
        for &k in same_length.iter().take(MAX_CLUSTERS) {
            let sim = similarity(&OfCluster(&kept[k], groups), &OfCluster(&c, groups));
            if sim >= MERGE_SIMILARITY && best.is_none_or(|(_, s)| sim > s) {
                best = Some((k, sim));
            }
        }
        match best {
            Some((k, _)) => kept[k].absorb(groups, c),
            None => {
                same_length.push(kept.len());
                kept.push(c);
            }
        }
    }
    kept
}

/// The leaf for `group`, creating nodes on the way as Drain does.
fn descend(nodes: &mut Vec<Node>, group: &Group) -> usize {
    let length = group.types.len();
    let mut node = child(nodes, 0, length.to_string());
    let words = (0..length)
        .filter(|&i| group.types[i] == TokenType::Word)
        .take(DEPTH);
    for position in words {
        let token = group.token(position);
        let key = if group.varies[position] || token.bytes().any(|c| c.is_ascii_digit()) {
            WILDCARD
        } else {
            token
        };
        let children = &nodes[node].children;
        let key = if children.contains_key(key) || key == WILDCARD {
            key
        } else if children.contains_key(WILDCARD) {
            if children.len() < MAX_CHILDREN {
                key
            } else {
                WILDCARD
            }
        } else if children.len() + 1 < MAX_CHILDREN {
            key
        } else {
            WILDCARD
        };
        node = child(nodes, node, key);
    }
    node
}

fn child(nodes: &mut Vec<Node>, parent: usize, key: impl Into<String> + AsRef<str>) -> usize {
    if let Some(&c) = nodes[parent].children.get(key.as_ref()) {
        return c;
    }
    let c = nodes.len();
    nodes.push(Node::default());
    nodes[parent].children.insert(key.into(), c);
    c
}

/// The type a dynamic position shows: the one typed type every group there has; `ID` where
/// ids mix with numbers (an id of hex digits can happen to be all digits); else none
/// (`Token`).
pub fn dynamic_type(types: u8) -> Option<TokenType> {
    let id_or_number = TokenType::Id.bit() | TokenType::Number.bit();
    if types & TokenType::Id.bit() != 0 && types & !id_or_number == 0 {
        return Some(TokenType::Id);
    }
    TokenType::ALL
        .into_iter()
        .find(|t| types == t.bit() && t.is_typed())
}

#[cfg(test)]
mod tests {
    use super::super::groups::{CURRENT, Groups};
    use super::*;

    fn clusters_of(lines: &[&str]) -> (Vec<Group>, Vec<Cluster>) {
        let mut g = Groups::default();
        for l in lines {
            g.add(l, Some(0), CURRENT);
        }
        let mut keyed: Vec<(Vec<u8>, Group)> = g.groups.into_iter().collect();
        keyed.sort_by(|a, b| b.1.total().cmp(&a.1.total()).then_with(|| a.0.cmp(&b.0)));
        let groups: Vec<Group> = keyed.into_iter().map(|(_, g)| g).collect();
        let order: Vec<usize> = (0..groups.len()).collect();
        let clusters = cluster(&groups, &order);
        (groups, clusters)
    }

    #[test]
    fn similar_lines_share_a_cluster_and_differing_words_become_variables() {
        let (_, clusters) = clusters_of(&[
            "user alice logged in from 10.0.0.1",
            "user bob logged in from 10.0.0.2",
            "user carol logged in from 10.0.0.3",
            "disk full on /dev/sda1",
        ]);
        assert_eq!(clusters.len(), 2);
        let users = clusters.iter().find(|c| c.slots.len() == 6).unwrap();
        assert_eq!(
            users.slots,
            [
                Slot::Static,
                Slot::Dynamic,
                Slot::Static,
                Slot::Static,
                Slot::Static,
                Slot::Dynamic
            ]
        );
        assert_eq!(dynamic_type(users.types[5]), Some(TokenType::IpAddress));
        assert_eq!(dynamic_type(users.types[1]), None);
    }

    #[test]
    fn the_leading_tokens_route_lines_apart() {
        let (_, clusters) = clusters_of(&[
            "GET /a 200",
            "POST /a 200",
            "Starting server",
            "Stopping server",
        ]);
        assert_eq!(clusters.len(), 4);
    }

    #[test]
    fn dissimilar_lines_of_one_leaf_stay_apart() {
        let (_, clusters) = clusters_of(&[
            "job started: backup of volume one now",
            "job started: restore from snapshot two later",
        ]);
        assert_eq!(clusters.len(), 2);
    }
}

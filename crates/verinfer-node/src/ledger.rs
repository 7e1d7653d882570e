//! The records the tensor side ([`crate::state::NodeState`]) and the generation side
//! ([`crate::gen_state::GenState`]) of `state.json` both keep: requests to answer, our claims,
//! claims about to be posted, others' claims checked and our games, each keyed by its on-chain
//! id. One type, flattened into both (`#[serde(flatten)]`), so the two sides' JSON stays as it
//! always was and a record kind added to one side is added to the other the same way.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, Unexpected, Visitor};
use serde::{Deserialize, Serialize};

/// One side's records: `R` requests, `C` our claims, `I` intents, `K` checked claims and `G`
/// games.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(
    deserialize = "R: Deserialize<'de>, C: Deserialize<'de>, I: Deserialize<'de>, \
                             K: Deserialize<'de>, G: Deserialize<'de>"
))]
pub struct Ledger<R, C, I, K, G> {
    /// Requests on models we hold, by request id.
    #[serde(default, deserialize_with = "u64_keys")]
    pub requests: BTreeMap<u64, R>,
    /// Our claims, by claim id.
    #[serde(default, deserialize_with = "u64_keys")]
    pub claims: BTreeMap<u64, C>,
    /// Claims about to be posted (saved before the transaction is sent).
    #[serde(default)]
    pub intents: Vec<I>,
    /// Other people's claims on models we hold, by claim id.
    #[serde(default, deserialize_with = "u64_keys")]
    pub checked: BTreeMap<u64, K>,
    /// Our games as challenger, by game id.
    #[serde(default, deserialize_with = "u64_keys")]
    pub games: BTreeMap<u64, G>,
}

impl<R, C, I, K, G> Default for Ledger<R, C, I, K, G> {
    fn default() -> Self {
        Self {
            requests: BTreeMap::new(),
            claims: BTreeMap::new(),
            intents: Vec::new(),
            checked: BTreeMap::new(),
            games: BTreeMap::new(),
        }
    }
}

/// A state that holds a [`Ledger`] (flattened) and reads as it: `state.claims`, not
/// `state.ledger.claims`.
macro_rules! derefs_to_ledger {
    ($state:ty, $ledger:ty) => {
        impl std::ops::Deref for $state {
            type Target = $ledger;
            fn deref(&self) -> &$ledger {
                &self.ledger
            }
        }

        impl std::ops::DerefMut for $state {
            fn deref_mut(&mut self) -> &mut $ledger {
                &mut self.ledger
            }
        }
    };
}
pub(crate) use derefs_to_ledger;

/// A map keyed by ids, read from JSON object keys. A flattened struct is buffered before it is
/// read, and the buffer hands the keys over as the strings JSON writes them as (`"7"`), which
/// a `u64` key does not take on its own: this reads either form.
fn u64_keys<'de, D, V>(d: D) -> Result<BTreeMap<u64, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    let m = BTreeMap::<Id, V>::deserialize(d)?;
    Ok(m.into_iter().map(|(k, v)| (k.0, v)).collect())
}

/// An id written as a number or a decimal string.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Id(u64);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an id (a whole number)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                Ok(Id(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                v.parse()
                    .map(Id)
                    .map_err(|_| E::invalid_value(Unexpected::Str(v), &self))
            }
        }
        d.deserialize_any(IdVisitor)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    type Small = Ledger<u8, u8, u8, u8, u8>;

    #[test]
    fn ids_read_as_json_writes_them_and_others_are_refused() {
        let l: Small =
            serde_json::from_str(r#"{"requests":{"7":1},"games":{"18446744073709551615":2}}"#)
                .unwrap();
        assert_eq!(l.requests[&7], 1);
        assert_eq!(l.games[&u64::MAX], 2);
        assert!(l.claims.is_empty() && l.intents.is_empty() && l.checked.is_empty());
        for bad in [r#"{"claims":{"x":1}}"#, r#"{"claims":{"-1":1}}"#] {
            let e = serde_json::from_str::<Small>(bad).unwrap_err();
            assert!(e.to_string().contains("an id"), "{bad}: {e}");
        }
    }

    /// Flattened into a struct (as both sides of `state.json` are), it reads its own output.
    #[test]
    fn flattened_it_reads_what_it_writes() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Outer {
            a: u64,
            #[serde(flatten)]
            ledger: Small,
            b: u64,
        }
        let mut ledger = Small::default();
        ledger.checked.insert(3, 4);
        ledger.intents.push(5);
        let o = Outer { a: 1, ledger, b: 2 };
        let json = serde_json::to_string(&o).unwrap();
        assert_eq!(
            json,
            r#"{"a":1,"requests":{},"claims":{},"intents":[5],"checked":{"3":4},"games":{},"b":2}"#
        );
        assert_eq!(serde_json::from_str::<Outer>(&json).unwrap(), o);
    }
}

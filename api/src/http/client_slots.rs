//! How many connections each client address holds open, and the cap on it.
//!
//! A slowloris client opens as many sockets as it can and keeps each one busy doing
//! nothing; the header and body timeouts bound how long it keeps each, this bounds how
//! many. A connection takes a [`Slot`] when it is accepted and gives it back when it
//! closes (the slot is dropped with the connection's task).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Open connections per client address, capped.
#[derive(Debug)]
pub struct ClientSlots {
    /// Most connections one address may hold; `None`: no cap.
    cap: Option<usize>,
    /// Open connections per address; an address leaves the map with its last one.
    /// A std mutex: it is held for one map operation, never across an await.
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One open connection's place in its address's count, given back on drop.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<ClientSlots>,
    address: IpAddr,
}

impl ClientSlots {
    /// Slots capped at `cap` per address (`None`: no cap, only counted).
    pub fn new(cap: Option<usize>) -> Arc<Self> {
        Arc::new(ClientSlots {
            cap,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// A slot for a new connection from `address`, or `None` when that address already
    /// holds as many as the cap allows.
    pub fn take(self: &Arc<Self>, address: IpAddr) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(address).or_insert(0);
        if self.cap.is_some_and(|cap| *count >= cap) {
            return None;
        }
        *count += 1;
        Some(Slot {
            slots: self.clone(),
            address,
        })
    }

    /// Connections open now from `address`.
    #[cfg(test)]
    fn open_from(&self, address: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get(&address).copied().unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.address) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn an_address_at_its_cap_gets_no_slot_until_one_is_given_back() {
        let slots = ClientSlots::new(Some(2));
        let (a, b) = (ip("10.0.0.1"), ip("10.0.0.2"));
        let first = slots.take(a).expect("first");
        let _second = slots.take(a).expect("second");
        assert!(slots.take(a).is_none(), "a third is over the cap");
        assert!(slots.take(b).is_some(), "another address has its own count");
        drop(first);
        assert!(slots.take(a).is_some(), "a slot given back is free again");
    }

    #[test]
    fn without_a_cap_connections_are_only_counted() {
        let slots = ClientSlots::new(None);
        let a = ip("10.0.0.1");
        let held: Vec<_> = (0..1000).map(|_| slots.take(a).expect("a slot")).collect();
        assert_eq!(slots.open_from(a), 1000);
        drop(held);
        assert_eq!(slots.open_from(a), 0);
    }
}

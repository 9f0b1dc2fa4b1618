//! Subscription connections per client: a [`Slot`] is one open connection, given back when
//! it is dropped.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

pub struct Connections {
    max_per_client: usize,
    open: Mutex<HashMap<String, usize>>,
}

/// One open connection of a client.
pub struct Slot {
    client: String,
    connections: Arc<Connections>,
}

impl Connections {
    pub fn new(max_per_client: usize) -> Arc<Self> {
        Arc::new(Self {
            max_per_client,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// A slot for `client`, or `None` when it holds the most connections allowed.
    pub fn take(self: &Arc<Self>, client: String) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(client.clone()).or_default();
        if *count >= self.max_per_client {
            return None;
        }
        *count += 1;
        Some(Slot {
            client,
            connections: self.clone(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self
            .connections
            .open
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_holds_at_most_its_share() {
        let connections = Connections::new(2);
        let a = connections.take("a".into()).unwrap();
        let _b = connections.take("a".into()).unwrap();
        assert!(connections.take("a".into()).is_none());
        assert!(connections.take("b".into()).is_some());
        drop(a);
        assert!(connections.take("a".into()).is_some());
    }
}

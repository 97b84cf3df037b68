//! Events about callers who hold no valid credential (`auth.failed`, `link.refused`, a refused
//! unwrap or login), kept in memory and written by the next write-back: within a second, by
//! the alarm, or before the next command of a caller who did authenticate.
//!
//! Why not at once: a refusal of a tenant that does not exist writes nothing (guessing tenant
//! ids must create no storage), so a refusal of one that does must not pay for a transaction
//! either, or the time of a 401 would say whether the tenant exists. The events are the same
//! as when they were written at once (same actor, origin, content and time), still within the
//! budget for unauthenticated events; a crash loses at most the last second of them, like
//! the rate window. Every other event is recorded after them (every path that records one
//! writes these first), so the chain stays in time order.

use super::*;
use crate::audit::UNAUTHENTICATED_EVENTS_PER_MINUTE;

/// One event waiting to be written.
pub(super) struct DeferredEvent {
    tenant: TenantId,
    actor: Actor,
    origin: Origin,
    draft: Draft,
    at: Timestamp,
}

/// At most this many wait (two minutes of the budget): a storage failure that keeps them from
/// being written must not grow memory without end.
const MAX_DEFERRED: usize = 2 * UNAUTHENTICATED_EVENTS_PER_MINUTE as usize;

/// The events waiting, oldest first.
#[derive(Default)]
pub(super) struct DeferredEvents(RefCell<Vec<DeferredEvent>>);

impl DeferredEvents {
    fn push(&self, event: DeferredEvent) {
        let mut events = self.0.borrow_mut();
        if events.len() < MAX_DEFERRED {
            events.push(event);
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.borrow().is_empty()
    }

    fn take(&self) -> Vec<DeferredEvent> {
        std::mem::take(&mut *self.0.borrow_mut())
    }

    /// Puts back events that were taken but not written, before any deferred since.
    fn put_back(&self, mut events: Vec<DeferredEvent>) {
        let mut current = self.0.borrow_mut();
        events.append(&mut current);
        events.truncate(MAX_DEFERRED);
        *current = events;
    }
}

impl Tenant {
    /// Keeps an event about a caller without a valid credential, to be written by the next
    /// write-back. The caller has taken it from the unauthenticated budget.
    pub(super) fn defer_event(
        &self,
        loaded: &Loaded,
        actor: Actor,
        origin: &Origin,
        draft: Draft,
        now: Timestamp,
    ) {
        self.deferred_events.push(DeferredEvent {
            tenant: loaded.tenant_id.clone(),
            actor,
            origin: origin.clone(),
            draft,
            at: now,
        });
    }

    /// Writes the waiting events in one transaction of their own (the write-back, the alarm,
    /// and before an authenticated command records anything). A failure is logged and retried
    /// by the next write-back: memory still holds them.
    pub(super) fn write_deferred_events(&self, storage: &Storage) {
        if self.deferred_events.is_empty() {
            return;
        }
        let events = self.deferred_events.take();
        let written = transaction(storage, || {
            for event in &events {
                self.audit_head.record(
                    storage,
                    &event.tenant,
                    &event.actor,
                    &event.origin,
                    event.draft.clone(),
                    event.at,
                )?;
            }
            Ok(())
        });
        match written {
            Ok(()) => {
                self.audit_head.commit();
                self.events_recorded.set(true);
            }
            Err(e) => {
                self.audit_head.forget();
                self.deferred_events.put_back(events);
                log_error!("tenant object: deferred audit events: {e}");
            }
        }
    }

    /// Writes the waiting events inside a transaction that records an event of its own (with
    /// `audit::record`, before that event), and hands them back: the caller puts them back
    /// with [`Self::restore_deferred_events`] if its transaction rolls back.
    pub(super) fn record_deferred_events(
        &self,
        storage: &Storage,
    ) -> Result<Vec<DeferredEvent>, StorageError> {
        let events = self.deferred_events.take();
        for event in &events {
            if let Err(e) = audit::record(
                storage,
                &event.tenant,
                &event.actor,
                &event.origin,
                event.draft.clone(),
                event.at,
            ) {
                // Not written (the transaction rolls back): keep every one of them.
                self.deferred_events.put_back(events);
                return Err(e);
            }
        }
        Ok(events)
    }

    /// Puts back events [`Self::record_deferred_events`] wrote in a transaction that then
    /// rolled back.
    pub(super) fn restore_deferred_events(&self, events: Vec<DeferredEvent>) {
        if !events.is_empty() {
            self.deferred_events.put_back(events);
        }
    }
}

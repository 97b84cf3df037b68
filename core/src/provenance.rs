//! Provenance: every principal records who made it. A token names the credential that minted
//! it, a bootstrap token its creator, an agent the bootstrap token it registered with, a user
//! whoever created them. Following those links from a principal gives its *line*: its maker,
//! its maker's maker, and so on up to the master key. Two rules read the line:
//!
//! - **Same hand**: nobody decides a request filed by anything they made, or by anything made
//!   by what they made, nor a request filed by whoever made them ([`same_hand`]).
//! - **Cascading revocation**: revoking a credential reaches everything below it (the tenant
//!   object walks the links downwards).
//!
//! The walking needs storage and lives in the tenant object; the rules here are pure.

/// What kind of principal an actor id names, by its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    /// The tenant's master key: the root of every line.
    Master,
    /// A scoped token (`tok_…`), made by `tokens.created_by`.
    Token,
    /// A bootstrap token (`bst_…`), made by `agent_bootstrap_tokens.created_by`.
    Bootstrap,
    /// An agent (`agt_…`), made by the bootstrap token it registered with.
    Agent,
    /// A person (`usr_…`), made by `users.created_by`.
    User,
    /// Anything else (a link's approver such as `slack`, the operator): no maker on record.
    Other,
}

impl ActorKind {
    pub fn of(actor: &str) -> ActorKind {
        if actor == "master" {
            return ActorKind::Master;
        }
        match actor.split_once('_').map(|(prefix, _)| prefix) {
            Some("tok") => ActorKind::Token,
            Some("bst") => ActorKind::Bootstrap,
            Some("agt") => ActorKind::Agent,
            Some("usr") => ActorKind::User,
            _ => ActorKind::Other,
        }
    }
}

/// The longest line followed: lines are short; the bound guards against a corrupted cycle.
pub const MAX_LINE: usize = 64;

/// Whether `approver` and `requester` are the same hand, given each one's line (makers,
/// nearest first, not including the principal itself): the same principal, the approver made
/// the requester (directly or through what it made), or the requester made the approver. The
/// master key is exempt as an approver of what it made: it is the tenant's root of trust and
/// makes everything (ARCHITECTURE.md, "Approvals").
pub fn same_hand(
    approver: &str,
    approver_line: &[String],
    requester: &str,
    requester_line: &[String],
) -> bool {
    if approver == requester {
        return true;
    }
    let requester_made_approver = approver_line.iter().any(|maker| maker == requester);
    let approver_made_requester = ActorKind::of(approver) != ActorKind::Master
        && requester_line.iter().any(|maker| maker == approver);
    requester_made_approver || approver_made_requester
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(makers: &[&str]) -> Vec<String> {
        makers.iter().map(|m| (*m).to_owned()).collect()
    }

    #[test]
    fn kinds_by_prefix() {
        assert_eq!(ActorKind::of("master"), ActorKind::Master);
        assert_eq!(ActorKind::of("tok_0123"), ActorKind::Token);
        assert_eq!(ActorKind::of("bst_0123"), ActorKind::Bootstrap);
        assert_eq!(ActorKind::of("agt_0123"), ActorKind::Agent);
        assert_eq!(ActorKind::of("usr_0123"), ActorKind::User);
        assert_eq!(ActorKind::of("email:a@b.example"), ActorKind::Other);
        assert_eq!(ActorKind::of("slack"), ActorKind::Other);
        assert_eq!(ActorKind::of("masterful"), ActorKind::Other);
    }

    #[test]
    fn the_probe_s_puppet_agent_is_the_approver_s_hand() {
        // AP (a token) minted a bootstrap token, which registered the puppet agent.
        let puppet_line = line(&["bst_1", "tok_ap", "master"]);
        let ap_line = line(&["master"]);
        assert!(same_hand("tok_ap", &ap_line, "agt_puppet", &puppet_line));
        // A user created by an approver, and a token that user minted.
        let user_line = line(&["tok_ap", "master"]);
        assert!(same_hand("tok_ap", &ap_line, "usr_1", &user_line));
        let users_token = line(&["usr_1", "tok_ap", "master"]);
        assert!(same_hand("tok_ap", &ap_line, "tok_child", &users_token));
    }

    #[test]
    fn a_requester_never_decides_through_what_it_made() {
        // The requester's own token, or an agent registered through its bootstrap token.
        let approver_line = line(&["bst_9", "tok_req", "master"]);
        assert!(same_hand(
            "agt_x",
            &approver_line,
            "tok_req",
            &line(&["master"])
        ));
    }

    #[test]
    fn strangers_and_the_master_key_are_not_the_same_hand() {
        let a = line(&["tok_p", "master"]);
        let b = line(&["tok_q", "master"]);
        // Siblings and cousins made by different hands: distinct.
        assert!(!same_hand("tok_a", &a, "tok_b", &b));
        // The master key made everything; it may still approve (root of trust)...
        assert!(!same_hand("master", &[], "tok_b", &b));
        // ...but never its own request, and nothing it made decides its request? It did make
        // them: a token the master minted approving the master's request is the same hand.
        assert!(same_hand("master", &[], "master", &[]));
        assert!(same_hand("tok_a", &line(&["master"]), "master", &[]));
    }
}

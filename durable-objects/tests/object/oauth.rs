//! OAuth grants for /mcp: a person's consent becomes a single-use code, the code a token bound
//! to the MCP resource with a rotating refresh token; replays end what they touch.

use crate::people::{create_role, person};
use crate::support::{Object, event};
use latchkey_contract::Via;
use latchkey_contract::caller::secrets::{GetSecret, ListSecrets};
use latchkey_contract::caller::tenant::{CallerReach, Touch};
use latchkey_contract::caller::tokens::{
    CreateToken, GrantOAuthCode, ListTokens, OAuthConsentView, RevokeToken, TokenMinted,
};
use latchkey_contract::operator::SetPlan;
use latchkey_contract::public::{RedeemOAuthCode, RefreshOAuthGrant, RevokeOAuthGrant};
use latchkey_contract::{Channel, Command};
use latchkey_core::credential::{CredentialHash, parse_bearer};
use latchkey_core::listing::ListQuery;
use latchkey_core::oauth::{
    CODE_PREFIX, CodeChallenge, REFRESH_PREFIX, TokenResponse, parse_credential,
};
use latchkey_core::scope::{ScopeSet, ScopeTexts};
use latchkey_core::secret::Tier;
use latchkey_core::tenant::McpValueTools;
use latchkey_core::token::TokenRequest;
use latchkey_core::{ApiError, ErrorCode, Plan};

const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K9qpgBYTyGKzy3uo6hFQw9SrGT";
const CLIENT: &str = "lkc_0123456789abcdef0123456789abcdef";
const REDIRECT: &str = "https://client.example/cb";
const RESOURCE: &str = "https://latchkey.example/mcp";

fn scopes(list: &[&str]) -> ScopeSet {
    ScopeSet::from_member(
        "scope",
        ScopeTexts(Some(list.iter().map(|s| (*s).to_owned()).collect())),
    )
    .unwrap()
}

fn grant(scope: &[&str]) -> GrantOAuthCode {
    GrantOAuthCode {
        client_id: CLIENT.into(),
        client_name: "Test client".into(),
        redirect_uri: REDIRECT.into(),
        code_challenge: CodeChallenge::of_verifier(VERIFIER).unwrap(),
        resource: RESOURCE.into(),
        scope: scopes(scope),
        tier: Tier::Standard,
    }
}

fn redeem_with(code: &str, verifier: &str) -> RedeemOAuthCode {
    RedeemOAuthCode {
        hash: parse_credential(CODE_PREFIX, code).unwrap().1,
        verifier_challenge: CodeChallenge::of_verifier(verifier).unwrap(),
        redirect_uri: REDIRECT.into(),
        client_id: CLIENT.into(),
        resource: RESOURCE.into(),
    }
}

fn refresh_of(token: &str) -> RefreshOAuthGrant {
    RefreshOAuthGrant {
        hash: parse_credential(REFRESH_PREFIX, token).unwrap().1,
        client_id: Some(CLIENT.into()),
    }
}

/// A person holding `secrets:use:*`, `secrets:read:*` and `tokens:create`, and their JWT.
fn setup() -> (Object, String) {
    let object = Object::new();
    let role = create_role(
        &object,
        "connector",
        r#"["secrets:use:*", "secrets:read:*", "tokens:create"]"#,
    );
    let (_, jwt) = person(&object, "ada@example.com", &role.id);
    object.secret(r#"{"path": "prod/db", "value": "hunter2"}"#);
    (object, jwt)
}

/// A caller's command as it arrives through `/mcp`.
fn via_mcp<C>(object: &Object, key: &str, command: C) -> Result<C::Reply, ApiError>
where
    C: Command<Channel = latchkey_contract::CallerCommand>,
{
    crate::support::reply_of::<C>(object.send_via(
        Some(Via::Mcp),
        Channel::Caller {
            credential: parse_bearer(key).unwrap(),
            purpose: None,
            command: Some(command.into()),
        },
    ))
}

fn connect(object: &Object, jwt: &str, scope: &[&str]) -> TokenResponse {
    let code = object.call(jwt, grant(scope)).unwrap().code;
    object.operator(redeem_with(&code, VERIFIER)).unwrap()
}

#[test]
fn consent_then_code_gives_a_token_that_works_only_through_mcp() {
    let (object, jwt) = setup();
    let view = object.call(&jwt, OAuthConsentView).unwrap();
    assert_eq!(view.person, "ada@example.com");
    assert!(view.held.contains(&"secrets:use:*".to_owned()));
    let tokens = connect(&object, &jwt, &["secrets:use:*", "secrets:read:*"]);
    assert!(tokens.access_token.starts_with("lk_tok_"));
    assert!(tokens.refresh_token.starts_with("lk_rt_"));
    assert_eq!(tokens.expires_in, 3600);
    via_mcp(&object, &tokens.access_token, Touch).unwrap();
    // Anywhere but /mcp it is no credential (RFC 8707: no token passthrough).
    let elsewhere = object.call(&tokens.access_token, Touch).unwrap_err();
    assert_eq!(elsewhere.code, ErrorCode::Unauthorized);
    assert!(
        elsewhere.message.contains(RESOURCE),
        "{}",
        elsewhere.message
    );
    // Listed with its client and audience, as the person's.
    let listed = object.master(ListTokens).unwrap();
    let row = listed.iter().find(|t| t.oauth_client.is_some()).unwrap();
    assert_eq!(row.oauth_client.as_deref(), Some(CLIENT));
    assert_eq!(row.audience.as_deref(), Some(RESOURCE));
    assert_eq!(row.description.as_deref(), Some("OAuth: Test client"));
    let events = object.events();
    assert!(events.contains(&event("oauth.consented", true)));
    assert!(events.contains(&event("oauth.token_issued", true)));
}

#[test]
fn only_a_person_consents_and_never_beyond_their_own_rights() {
    let (object, jwt) = setup();
    let master = object.master(grant(&["secrets:use:*"])).unwrap_err();
    assert_eq!(master.code, ErrorCode::PermissionDenied);
    let before = object.count("SELECT count(*) FROM oauth_codes");
    let beyond = object.call(&jwt, grant(&["secrets:write:*"])).unwrap_err();
    assert_eq!(beyond.code, ErrorCode::PermissionDenied);
    assert!(
        beyond.message.contains("secrets:write:*"),
        "{}",
        beyond.message
    );
    assert_eq!(object.count("SELECT count(*) FROM oauth_codes"), before);
}

#[test]
fn a_wrong_verifier_spends_the_code_without_a_token() {
    let (object, jwt) = setup();
    let code = object.call(&jwt, grant(&["secrets:use:*"])).unwrap().code;
    let wrong = object
        .operator(redeem_with(&code, &VERIFIER.replace('d', "e")))
        .unwrap_err();
    assert_eq!(wrong.details["oauth"], "invalid_grant");
    assert!(wrong.message.contains("code_verifier"), "{}", wrong.message);
    let again = object.operator(redeem_with(&code, VERIFIER)).unwrap_err();
    assert_eq!(again.details["oauth"], "invalid_grant");
    assert_eq!(
        object.count("SELECT count(*) FROM tokens WHERE audience IS NOT NULL"),
        0
    );
}

#[test]
fn a_replayed_code_revokes_the_token_it_became() {
    let (object, jwt) = setup();
    let code = object.call(&jwt, grant(&["secrets:use:*"])).unwrap().code;
    let tokens = object.operator(redeem_with(&code, VERIFIER)).unwrap();
    let replay = object.operator(redeem_with(&code, VERIFIER)).unwrap_err();
    assert_eq!(replay.details["oauth"], "invalid_grant");
    let revoked = via_mcp(&object, &tokens.access_token, Touch).unwrap_err();
    assert_eq!(revoked.code, ErrorCode::Unauthorized);
    let refresh = object
        .operator(refresh_of(&tokens.refresh_token))
        .unwrap_err();
    assert_eq!(refresh.details["oauth"], "invalid_grant");
}

#[test]
fn an_expired_code_or_another_resource_is_refused() {
    let (object, jwt) = setup();
    let code = object.call(&jwt, grant(&["secrets:use:*"])).unwrap().code;
    let mut other = redeem_with(&code, VERIFIER);
    other.resource = "https://other.example/mcp".into();
    assert_eq!(
        object.operator(other).unwrap_err().details["oauth"],
        "invalid_target"
    );
    let code = object.call(&jwt, grant(&["secrets:use:*"])).unwrap().code;
    object.advance(121);
    let late = object.operator(redeem_with(&code, VERIFIER)).unwrap_err();
    assert!(late.message.contains("expired"), "{}", late.message);
}

#[test]
fn refresh_rotates_and_a_reused_refresh_token_ends_the_grant() {
    let (object, jwt) = setup();
    let first = connect(&object, &jwt, &["secrets:use:*"]);
    let second = object.operator(refresh_of(&first.refresh_token)).unwrap();
    assert_ne!(second.access_token, first.access_token);
    assert_ne!(second.refresh_token, first.refresh_token);
    // One grant, one row, whatever the rotations.
    assert_eq!(
        object.count("SELECT count(*) FROM tokens WHERE audience IS NOT NULL"),
        1
    );
    via_mcp(&object, &second.access_token, Touch).unwrap();
    let old_access = via_mcp(&object, &first.access_token, Touch).unwrap_err();
    assert_eq!(old_access.code, ErrorCode::Unauthorized);
    // The used refresh token again: someone holds a copy, so the grant ends.
    let reuse = object
        .operator(refresh_of(&first.refresh_token))
        .unwrap_err();
    assert!(reuse.message.contains("revoked"), "{}", reuse.message);
    assert_eq!(
        via_mcp(&object, &second.access_token, Touch)
            .unwrap_err()
            .code,
        ErrorCode::Unauthorized
    );
    assert!(object.operator(refresh_of(&second.refresh_token)).is_err());
}

#[test]
fn a_refresh_fails_once_the_person_lost_the_right() {
    let (object, jwt) = setup();
    let tokens = connect(&object, &jwt, &["secrets:use:*"]);
    let users = object.rows("SELECT id FROM users");
    let id = latchkey_core::people::UserId::parse(&users[0].text(0).unwrap()).unwrap();
    object
        .master(latchkey_contract::caller::people::DeleteUser { id })
        .unwrap();
    let refused = object
        .operator(refresh_of(&tokens.refresh_token))
        .unwrap_err();
    assert_eq!(refused.details["oauth"], "invalid_grant");
}

#[test]
fn revoking_either_token_or_listing_row_ends_the_grant() {
    let (object, jwt) = setup();
    let tokens = connect(&object, &jwt, &["secrets:use:*"]);
    object
        .operator(RevokeOAuthGrant {
            hash: parse_credential(REFRESH_PREFIX, &tokens.refresh_token)
                .unwrap()
                .1,
        })
        .unwrap();
    assert!(via_mcp(&object, &tokens.access_token, Touch).is_err());
    // An unknown token: not an error, nothing changes.
    object
        .operator(RevokeOAuthGrant {
            hash: CredentialHash::of("lk_tok_unknown"),
        })
        .unwrap();
    // The person who consented revokes it from the list.
    let tokens = connect(&object, &jwt, &["secrets:use:*"]);
    let id = object
        .master(ListTokens)
        .unwrap()
        .into_iter()
        .find(|t| t.oauth_client.is_some() && !t.revoked)
        .unwrap()
        .id;
    object.call(&jwt, RevokeToken { id }).unwrap();
    assert!(via_mcp(&object, &tokens.access_token, Touch).is_err());
}

fn set_value_tools(object: &Object, setting: McpValueTools) {
    object
        .operator(SetPlan {
            plan: Plan::Free,
            rate_limit_per_minute: None,
            non_expiring_tokens: None,
            mcp_value_tools: Some(setting),
            gitops_enabled: None,
        })
        .unwrap();
}

#[test]
fn value_tools_follow_the_tenants_setting_through_mcp_only() {
    let (object, jwt) = setup();
    let tokens = connect(&object, &jwt, &["secrets:read:*"]);
    let bearer = object.token(r#"{"scope": "secrets:read:*", "ttl_seconds": 600}"#);
    let get = || GetSecret {
        path: crate::support::path("prod/db"),
        version: None,
    };
    // The default (`bearer`): a bearer client reads, an OAuth client does not.
    let refused = via_mcp(&object, &tokens.access_token, get()).unwrap_err();
    assert_eq!(refused.code, ErrorCode::PermissionDenied);
    assert!(refused.message.contains("call_api"), "{}", refused.message);
    assert!(
        !via_mcp(&object, &tokens.access_token, CallerReach)
            .unwrap()
            .reads_values
    );
    via_mcp(&object, &bearer, get()).unwrap();
    assert!(via_mcp(&object, &bearer, CallerReach).unwrap().reads_values);
    // Listing (metadata) is not a value.
    via_mcp(
        &object,
        &tokens.access_token,
        ListSecrets {
            query: ListQuery::default(),
        },
    )
    .unwrap();
    set_value_tools(&object, McpValueTools::All);
    assert!(
        via_mcp(&object, &tokens.access_token, CallerReach)
            .unwrap()
            .reads_values
    );
    via_mcp(&object, &tokens.access_token, get()).unwrap();
    set_value_tools(&object, McpValueTools::Off);
    assert!(!via_mcp(&object, &bearer, CallerReach).unwrap().reads_values);
    assert_eq!(
        via_mcp(&object, &bearer, get()).unwrap_err().code,
        ErrorCode::PermissionDenied
    );
    // REST reads are not a model's context: the setting does not touch them.
    object.call(&bearer, get()).unwrap();
}

#[test]
fn a_token_minted_by_a_grant_inherits_its_audience() {
    let (object, jwt) = setup();
    let tokens = connect(&object, &jwt, &["secrets:use:*", "tokens:create"]);
    let request = TokenRequest::parse(br#"{"scope": "secrets:use:prod/*"}"#).unwrap();
    let TokenMinted::Created(child) =
        via_mcp(&object, &tokens.access_token, CreateToken { request }).unwrap()
    else {
        panic!("standard tier: minted at once");
    };
    assert_eq!(
        object.call(&child.value, Touch).unwrap_err().code,
        ErrorCode::Unauthorized
    );
    via_mcp(&object, &child.value, Touch).unwrap();
}

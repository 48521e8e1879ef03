//! Bucket policies (`PUT /bucket?policy`): the IAM policy language as radosgw reads and
//! evaluates it (`rgw_iam_policy.cc`), checked request for request against radosgw 16.2.15
//! (`tests/python/test_s3_bucket_policy.py` holds its answers).
//!
//! A policy is kept as the text its owner sent (GetBucketPolicy answers it byte for byte) and
//! parsed when a request meets it. Evaluation gives `Deny` (an explicit deny matched: refused,
//! whatever the ACLs say, the owner included), `Allow` (granted, ACLs not consulted) or `Pass`
//! (the ACLs decide), as radosgw's `Policy::eval`.

use serde_json::Value;

use crate::error::{Error, Result};

mod actions;
mod condition;

use actions::{action_bit, Actions};
use condition::Condition;
pub use condition::{base_env, Env};

/// What a policy says of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
    /// Nothing matched: the ACLs decide.
    Pass,
}

/// Who a statement names. Roles, federated and canonical users never sign requests here:
/// such principals are ignored (radosgw's `rgw_policy_reject_invalid_principals` = false).
#[derive(Debug, Clone, PartialEq)]
enum Principal {
    Anyone,
    /// `arn:aws:iam::T:root`, or a bare tenant name: every user of tenant (or account) `T`.
    Tenant(String),
    /// `arn:aws:iam::T:user/NAME` (`NAME` may be `uid:subuser`).
    User(String, String),
}

/// The signer of a request, as a policy sees it.
pub struct Requester<'a> {
    pub tenant: &'a str,
    pub id: &'a str,
    /// The subuser whose key signed; empty for the user's own keys.
    pub subuser: &'a str,
    /// The account the user belongs to (radosgw 19 accounts); empty for none.
    pub account: &'a str,
}

impl Requester<'_> {
    /// Is it a user of tenant (or account) `t`?
    fn in_tenant(&self, t: &str) -> bool {
        t == self.tenant || (!self.account.is_empty() && t == self.account)
    }

    /// Is it user `name`: its id, or (signed with a subuser's key) `id:subuser`?
    fn is_named(&self, name: &str) -> bool {
        name == self.id
            || (!self.subuser.is_empty()
                && name.strip_prefix(self.id).and_then(|n| n.strip_prefix(':'))
                    == Some(self.subuser))
    }
}

impl Principal {
    /// radosgw's `is_identity`. Anonymous requests match only `*`: radosgw also lets a
    /// tenant principal of the empty tenant match them, which would make
    /// `arn:aws:iam:::root` ("the users of this cluster") public.
    fn matches(&self, who: Option<&Requester<'_>>) -> bool {
        match (self, who) {
            (Principal::Anyone, _) => true,
            (_, None) => false,
            (Principal::Tenant(t), Some(r)) => r.in_tenant(t),
            (Principal::User(t, name), Some(r)) => r.in_tenant(t) && r.is_named(name),
        }
    }
}

/// A resource pattern: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, each part a pattern
/// with `*` and `?`; the account is the bucket's tenant when empty or `*`.
#[derive(Debug, Clone, PartialEq)]
struct Arn {
    parts: [String; 5],
}

impl Arn {
    fn parse(s: &str, tenant: &str) -> Result<Arn> {
        let mut it = s.splitn(6, ':');
        let mut part = || it.next().map(str::to_string);
        let (Some(arn), Some(partition), Some(service), Some(region), Some(account), Some(res)) =
            (part(), part(), part(), part(), part(), part())
        else {
            return Err(Error::InvalidArgument);
        };
        if arn != "arn" || partition.is_empty() || service.is_empty() {
            return Err(Error::InvalidArgument);
        }
        // "You can't specify resources for someone ELSE'S account."
        let account = match account.as_str() {
            "" | "*" => tenant.to_string(),
            a if a == tenant => account,
            _ => return Err(Error::InvalidArgument),
        };
        Ok(Arn {
            parts: [partition, service, region, account, res],
        })
    }

    /// Does the pattern cover `arn:aws:s3::TENANT:RESOURCE`?
    fn matches(&self, tenant: &str, resource: &str) -> bool {
        let [partition, service, region, account, res] = &self.parts;
        glob(partition, "aws")
            && glob(service, "s3")
            && glob(region, "")
            && glob(account, tenant)
            && glob(res, resource)
    }
}

/// `*` (any run) and `?` (any one character) against `s`.
fn glob(pattern: &str, s: &str) -> bool {
    // `?` is one character: bytes serve when both are ASCII (nearly always), chars otherwise.
    if pattern.is_ascii() && s.is_ascii() {
        return wildcard(pattern.as_bytes(), s.as_bytes(), b'*', b'?');
    }
    let (p, s): (Vec<char>, Vec<char>) = (pattern.chars().collect(), s.chars().collect());
    wildcard(&p, &s, '*', '?')
}

fn wildcard<T: PartialEq + Copy>(p: &[T], s: &[T], any: T, one: T) -> bool {
    let (mut pi, mut si, mut star, mut mark) = (0, 0, None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == one || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == any {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == any)
}

#[derive(Debug, Clone)]
struct Statement {
    /// It grants to the public ([`Statement::grants_public`]), known once parsed.
    public: bool,
    deny: bool,
    principals: Vec<Principal>,
    not_principals: Vec<Principal>,
    actions: Actions,
    not_actions: Actions,
    resources: Vec<Arn>,
    not_resources: Vec<Arn>,
    conditions: Vec<Condition>,
}

/// One request's question to a policy.
pub struct Ask<'a> {
    pub who: Option<Requester<'a>>,
    /// One of radosgw's action names (`s3:GetObject`).
    pub action: &'a str,
    /// The bucket's tenant, and `bucket` or `bucket/key`.
    pub tenant: &'a str,
    pub resource: &'a str,
    pub env: &'a Env,
}

impl Statement {
    /// radosgw's `Statement::eval`. A statement that names no principal never matches a
    /// request, nor does one with only `NotAction` (radosgw requires the action in `Action`).
    fn eval(&self, ask: &Ask<'_>) -> Effect {
        let who = ask.who.as_ref();
        if self.principals.is_empty() && self.not_principals.is_empty() {
            return Effect::Pass;
        }
        if !self.principals.is_empty() && !self.principals.iter().any(|p| p.matches(who)) {
            return Effect::Pass;
        }
        if self.not_principals.iter().any(|p| p.matches(who)) {
            return Effect::Pass;
        }
        if self.resources.is_empty() && self.not_resources.is_empty() {
            return Effect::Pass;
        }
        if !self.resources.is_empty()
            && !self
                .resources
                .iter()
                .any(|a| a.matches(ask.tenant, ask.resource))
        {
            return Effect::Pass;
        }
        if self.resources.is_empty()
            && self
                .not_resources
                .iter()
                .any(|a| a.matches(ask.tenant, ask.resource))
        {
            return Effect::Pass;
        }
        let bit = action_bit(ask.action);
        if self.actions & bit == 0 || self.not_actions & bit != 0 {
            return Effect::Pass;
        }
        if !self.conditions.iter().all(|c| c.holds(ask.env)) {
            return Effect::Pass;
        }
        if self.deny {
            Effect::Deny
        } else {
            Effect::Allow
        }
    }
}

/// A parsed bucket policy.
#[derive(Debug, Clone)]
pub struct Policy {
    statements: Vec<Statement>,
}

/// A JSON value that may be one item or an array of them.
fn items(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        v => vec![v],
    }
}

fn string(v: &Value) -> Result<&str> {
    v.as_str().ok_or(Error::InvalidArgument)
}

impl Policy {
    /// Parse `text` as radosgw's `Policy` constructor does for a bucket of `tenant`; any
    /// fault is `InvalidArgument` (radosgw answers it without a message).
    pub fn parse(text: &str, tenant: &str) -> Result<Policy> {
        let v: Value = serde_json::from_str(text).map_err(|_| Error::InvalidArgument)?;
        let top = v.as_object().ok_or(Error::InvalidArgument)?;
        let mut statements = Vec::new();
        let stranger = stranger();
        for (k, v) in top {
            match k.as_str() {
                "Version" => {
                    if !matches!(v.as_str(), Some("2008-10-17" | "2012-10-17")) {
                        return Err(Error::InvalidArgument);
                    }
                }
                "Id" => {
                    string(v)?;
                }
                "Statement" => {
                    for s in items(v) {
                        statements.push(statement(s, tenant, &stranger)?);
                    }
                }
                _ => return Err(Error::InvalidArgument),
            }
        }
        Ok(Policy { statements })
    }

    /// radosgw's `Policy::eval`: a matching deny wins, else a matching allow, else pass.
    /// `restrict_public` (a bucket's `RestrictPublicBuckets`) leaves out the statements that
    /// grant to the public.
    pub fn eval(&self, ask: &Ask<'_>, restrict_public: bool) -> Effect {
        let mut allowed = false;
        for s in &self.statements {
            if restrict_public && s.public {
                continue;
            }
            match s.eval(ask) {
                Effect::Deny => return Effect::Deny,
                Effect::Allow => allowed = true,
                Effect::Pass => {}
            }
        }
        if allowed {
            Effect::Allow
        } else {
            Effect::Pass
        }
    }

    /// radosgw's `is_public`: a statement allowing anyone (its conditions met by a stranger
    /// from 1.1.1.1), or everyone but those its `NotPrincipal` names. (radosgw 19 also counts
    /// every allow naming specific users, which makes any shared bucket "public".)
    pub fn is_public(&self) -> bool {
        self.statements.iter().any(|s| s.public)
    }
}

/// The request radosgw imagines from a stranger, to tell whether a policy is public.
fn stranger() -> Env {
    let mut e = Env::default();
    e.add("aws:SourceIp", "1.1.1.1");
    e.add("aws:UserId", "anonymous");
    e.add("s3:x-amz-server-side-encryption-aws-kms-key-id", "secret");
    e
}

impl Statement {
    /// Does it allow anyone (its conditions met by `stranger`), or everyone but whom its
    /// `NotPrincipal` names?
    fn grants_public(&self, stranger: &Env) -> bool {
        if self.deny {
            return false;
        }
        if self.principals.contains(&Principal::Anyone) {
            return self.conditions.iter().all(|c| c.holds(stranger));
        }
        !self.not_principals.is_empty() && !self.not_principals.contains(&Principal::Anyone)
    }
}

fn statement(v: &Value, tenant: &str, stranger: &Env) -> Result<Statement> {
    let obj = v.as_object().ok_or(Error::InvalidArgument)?;
    let mut s = Statement {
        public: false,
        deny: true,
        principals: Vec::new(),
        not_principals: Vec::new(),
        actions: 0,
        not_actions: 0,
        resources: Vec::new(),
        not_resources: Vec::new(),
        conditions: Vec::new(),
    };
    for (k, v) in obj {
        match k.as_str() {
            "Sid" => {
                string(v)?;
            }
            "Effect" => {
                s.deny = match string(v)? {
                    "Allow" => false,
                    "Deny" => true,
                    _ => return Err(Error::InvalidArgument),
                }
            }
            "Principal" => s.principals = principals(v)?,
            "NotPrincipal" => s.not_principals = principals(v)?,
            "Action" => s.actions = actions::parse(v)?,
            "NotAction" => s.not_actions = actions::parse(v)?,
            "Resource" => s.resources = arns(v, tenant)?,
            "NotResource" => s.not_resources = arns(v, tenant)?,
            "Condition" => s.conditions = condition::parse(v)?,
            _ => return Err(Error::InvalidArgument),
        }
    }
    s.public = s.grants_public(stranger);
    Ok(s)
}

fn principals(v: &Value) -> Result<Vec<Principal>> {
    match v {
        Value::String(s) if s.starts_with('*') => Ok(vec![Principal::Anyone]),
        Value::Object(types) => {
            let mut out = Vec::new();
            for (ty, names) in types {
                if !matches!(
                    ty.as_str(),
                    "AWS" | "Federated" | "Service" | "CanonicalUser"
                ) {
                    return Err(Error::InvalidArgument);
                }
                for n in items(names) {
                    let n = string(n)?;
                    if ty == "AWS" {
                        out.extend(aws_principal(n));
                    }
                }
            }
            Ok(out)
        }
        _ => Err(Error::InvalidArgument),
    }
}

/// An `AWS` principal; `None` for forms that name no user of this gateway (roles, groups).
fn aws_principal(s: &str) -> Option<Principal> {
    if s == "*" {
        return Some(Principal::Anyone);
    }
    if let Some(rest) = s.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        let [_, "iam", _, account, resource] = parts.as_slice() else {
            return None;
        };
        if *resource == "root" {
            return Some(Principal::Tenant(account.to_string()));
        }
        let (kind, name) = resource.split_once('/')?;
        return (kind == "user").then(|| Principal::User(account.to_string(), name.to_string()));
    }
    (!s.contains([':', '/'])).then(|| Principal::Tenant(s.to_string()))
}

fn arns(v: &Value, tenant: &str) -> Result<Vec<Arn>> {
    items(v)
        .into_iter()
        .map(|a| Arn::parse(string(a)?, tenant))
        .collect()
}

#[cfg(test)]
mod tests;

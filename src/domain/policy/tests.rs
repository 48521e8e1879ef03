use super::condition::{op_named, Condition, Op};
use super::*;

fn ask<'a>(
    who: Option<Requester<'a>>,
    action: &'a str,
    resource: &'a str,
    env: &'a Env,
) -> Ask<'a> {
    Ask {
        who,
        action,
        tenant: "",
        resource,
        env,
    }
}

fn user(id: &str) -> Option<Requester<'_>> {
    Some(Requester {
        tenant: "",
        id,
        subuser: "",
        account: "",
    })
}

const B: &str = "arn:aws:s3:::bkt";

fn one(stmt: &str) -> Policy {
    Policy::parse(
        &format!(r#"{{"Version": "2012-10-17", "Statement": [{stmt}]}}"#),
        "",
    )
    .unwrap()
}

#[test]
fn refused_as_radosgw_refuses() {
    for bad in [
        "{not json",
        r#"{"Version": "2011-01-01", "Statement": []}"#,
        r#"{"Version": "2012-10-17", "Foo": 1}"#,
        r#"{"Statement": {"Effect": "allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}"#,
        r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:Frob", "Resource": "arn:aws:s3:::b/*"}}"#,
        r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "notanarn"}}"#,
        r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3::other:b"}}"#,
        r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Foo": "x"}}"#,
        r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Condition": {"StringFoo": {"k": "v"}}}}"#,
        r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Condition": {"Bool": {"aws:SecureTransport": true}}}}"#,
        r#"{"Statement": {"Effect": "Allow", "Principal": "alice"}}"#,
        "[]",
    ] {
        assert!(Policy::parse(bad, "").is_err(), "{bad}");
    }
    for good in [
        r#"{"Version": "2012-10-17"}"#,
        r#"{"Version": "2012-10-17", "Statement": []}"#,
        r#"{"Statement": {"Effect": "Allow", "Action": "s3:GetObject"}}"#,
        r#"{"Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::x:group/g"}}}"#,
        r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:Get*", "Resource": "arn:aws:s3:::other/*"}}"#,
        r#"{"Statement": {"Effect": "Deny", "Principal": {"CanonicalUser": "x"}, "Action": ["*"], "Resource": "arn:aws:s3:::*",
            "Condition": {"NumericLessThanIfExists": {"s3:max-keys": 10}, "StringLike": {"aws:Referer": ["a*", "b?"]}}}}"#,
    ] {
        assert!(Policy::parse(good, "").is_ok(), "{good}");
    }
    // A resource in the bucket's own tenant is fine; in another one it is not.
    let own = r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3::t1:b/*"}}"#;
    assert!(Policy::parse(own, "t1").is_ok());
    assert!(Policy::parse(own, "t2").is_err());
}

#[test]
fn deny_beats_allow_and_nothing_passes() {
    let env = Env::default();
    let p = Policy::parse(
        &format!(
            r#"{{"Statement": [
            {{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "{B}/pub/*"}},
            {{"Effect": "Allow", "Principal": {{"AWS": ["arn:aws:iam:::user/bob"]}}, "Action": "s3:*", "Resource": "{B}/*"}},
            {{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "{B}/priv/*"}}]}}"#
        ),
        "",
    )
    .unwrap();
    assert_eq!(
        p.eval(&ask(None, "s3:GetObject", "bkt/pub/a", &env), false),
        Effect::Allow
    );
    assert_eq!(
        p.eval(&ask(None, "s3:GetObject", "bkt/other", &env), false),
        Effect::Pass
    );
    assert_eq!(
        p.eval(&ask(None, "s3:PutObject", "bkt/pub/a", &env), false),
        Effect::Pass
    );
    assert_eq!(
        p.eval(&ask(None, "s3:GetObject", "bkt/priv/x", &env), false),
        Effect::Deny
    );
    assert_eq!(
        p.eval(&ask(user("bob"), "s3:PutObject", "bkt/x", &env), false),
        Effect::Allow
    );
    assert_eq!(
        p.eval(&ask(user("bob"), "s3:GetObject", "bkt/priv/x", &env), false),
        Effect::Deny
    );
    assert_eq!(
        p.eval(&ask(user("carol"), "s3:PutObject", "bkt/x", &env), false),
        Effect::Pass
    );
    // The bucket itself is not `bkt/*`.
    assert_eq!(
        p.eval(&ask(user("bob"), "s3:ListBucket", "bkt", &env), false),
        Effect::Pass
    );
    assert!(p.is_public());
}

#[test]
fn principals() {
    let env = Env::default();
    let p = one(&format!(
        r#"{{"Effect": "Allow", "Principal": {{"AWS": ["arn:aws:iam::t1:root", "arn:aws:iam:::user/al:sub"]}},
            "Action": "s3:GetObject", "Resource": "{B}/*"}}"#
    ));
    let t1 = Requester {
        tenant: "t1",
        id: "x",
        subuser: "",
        account: "",
    };
    assert_eq!(
        p.eval(&ask(Some(t1), "s3:GetObject", "bkt/k", &env), false),
        Effect::Allow
    );
    let sub = Requester {
        tenant: "",
        id: "al",
        subuser: "sub",
        account: "",
    };
    assert_eq!(
        p.eval(&ask(Some(sub), "s3:GetObject", "bkt/k", &env), false),
        Effect::Allow
    );
    assert_eq!(
        p.eval(&ask(user("al"), "s3:GetObject", "bkt/k", &env), false),
        Effect::Pass
    );
    // Anonymous requests are nobody's tenant.
    let root = one(&format!(
        r#"{{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam:::root"}}, "Action": "s3:GetObject", "Resource": "{B}/*"}}"#
    ));
    assert_eq!(
        root.eval(&ask(user("al"), "s3:GetObject", "bkt/k", &env), false),
        Effect::Allow
    );
    assert_eq!(
        root.eval(&ask(None, "s3:GetObject", "bkt/k", &env), false),
        Effect::Pass
    );
    assert!(!root.is_public());
    // No principal: never matches. NotAction alone: never matches (as radosgw).
    let none = one(&format!(
        r#"{{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "{B}/*"}}"#
    ));
    assert_eq!(
        none.eval(&ask(None, "s3:GetObject", "bkt/k", &env), false),
        Effect::Pass
    );
    let not = one(&format!(
        r#"{{"Effect": "Allow", "Principal": "*", "NotAction": "s3:GetObject", "Resource": "{B}/*"}}"#
    ));
    assert_eq!(
        not.eval(&ask(None, "s3:PutObject", "bkt/k", &env), false),
        Effect::Pass
    );
}

#[test]
fn conditions() {
    let p = one(&format!(
        r#"{{"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": "{B}",
            "Condition": {{"StringEquals": {{"s3:prefix": ["pub/", "docs/"]}}, "IpAddress": {{"aws:SourceIp": "127.0.0.0/8"}}}}}}"#
    ));
    let mut env = Env::default();
    assert_eq!(
        p.eval(&ask(None, "s3:ListBucket", "bkt", &env), false),
        Effect::Pass
    );
    env.add("s3:prefix", "pub/");
    assert_eq!(
        p.eval(&ask(None, "s3:ListBucket", "bkt", &env), false),
        Effect::Pass
    );
    env.add("aws:SourceIp", "127.0.0.1");
    assert_eq!(
        p.eval(&ask(None, "s3:ListBucket", "bkt", &env), false),
        Effect::Allow
    );
    let mut far = Env::default();
    far.add("s3:prefix", "docs/");
    far.add("aws:SourceIp", "10.1.2.3");
    assert_eq!(
        p.eval(&ask(None, "s3:ListBucket", "bkt", &far), false),
        Effect::Pass
    );

    let c = |op: Op, key: &str, vals: &[&str]| Condition {
        op,
        if_exists: false,
        key: key.into(),
        values: vals.iter().map(|v| v.to_string()).collect(),
    };
    let mut env = Env::default();
    env.add("aws:Referer", "http://x.com/page");
    env.add("s3:max-keys", "50");
    env.add("aws:SourceIp", "2001:db8::1");
    assert!(c(Op::StringLike, "aws:Referer", &["http://x.com/*"]).holds(&env));
    assert!(!c(Op::StringLike, "aws:Referer", &["http://y.com/*"]).holds(&env));
    assert!(c(Op::StringNotLike, "aws:Referer", &["http://y.com/*"]).holds(&env));
    assert!(c(
        Op::StringEqualsIgnoreCase,
        "aws:Referer",
        &["HTTP://X.COM/PAGE"]
    )
    .holds(&env));
    assert!(c(
        op_named("NumericLessThan").unwrap(),
        "s3:max-keys",
        &["100"]
    )
    .holds(&env));
    assert!(!c(
        op_named("NumericGreaterThan").unwrap(),
        "s3:max-keys",
        &["100"]
    )
    .holds(&env));
    assert!(c(Op::IpAddress, "aws:SourceIp", &["2001:db8::/32"]).holds(&env));
    assert!(c(Op::NotIpAddress, "aws:SourceIp", &["10.0.0.0/8"]).holds(&env));
    assert!(c(Op::Null, "aws:SecureTransport", &["true"]).holds(&env));
    assert!(!c(Op::Null, "aws:Referer", &["false"]).holds(&env));
    // An absent key fails every test but `IfExists` and `ForAllValues`.
    assert!(!c(Op::StringEquals, "s3:prefix", &["x"]).holds(&env));
    assert!(c(Op::ForAllValuesStringEquals, "s3:prefix", &["x"]).holds(&env));
    let mut ife = c(Op::StringEquals, "s3:prefix", &["x"]);
    ife.if_exists = true;
    assert!(ife.holds(&env));
    let mut t = Env::default();
    t.add("aws:EpochTime", "2026-11-29T10:00:00.000000Z");
    assert!(c(
        op_named("DateLessThan").unwrap(),
        "aws:EpochTime",
        &["2027-01-01T00:00:00Z"]
    )
    .holds(&t));
    assert!(!c(
        op_named("DateGreaterThan").unwrap(),
        "aws:EpochTime",
        &["2027-01-01T00:00:00Z"]
    )
    .holds(&t));
}

#[test]
fn globs_and_actions() {
    assert!(glob("a*c", "abbbc") && glob("a?c", "abc") && glob("*", "") && glob("bkt/*", "bkt/"));
    assert!(!glob("a?c", "ac") && !glob("bkt/*", "bkt") && !glob("abc", "abd"));
    assert!(glob("*/x*y", "a/b/xzzy"));
    // `?` is one character, also past ASCII.
    assert!(glob("b/?.txt", "b/ü.txt") && glob("ü*", "üxü") && !glob("b/??.txt", "b/ü.txt"));
    let p = one(&format!(
        r#"{{"Effect": "Allow", "Principal": "*", "Action": "S3:getobj*", "Resource": "{B}*"}}"#
    ));
    let env = Env::default();
    assert_eq!(
        p.eval(&ask(None, "s3:GetObjectAcl", "bkt/k", &env), false),
        Effect::Allow
    );
    assert_eq!(
        p.eval(&ask(None, "s3:GetObject", "bkt", &env), false),
        Effect::Allow
    );
    assert_eq!(
        p.eval(&ask(None, "s3:PutObject", "bkt/k", &env), false),
        Effect::Pass
    );
}

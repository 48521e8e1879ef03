use super::*;

const NS: &str = r#" xmlns="http://s3.amazonaws.com/doc/2006-03-01/""#;
const XSI: &str = r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#;
const OBJ: &str = "<Object><Key>k</Key></Object>";

fn keys(body: &str) -> Vec<String> {
    let d = delete_objects(body.as_bytes()).unwrap();
    d.objects.into_iter().map(|o| o.key).collect()
}

fn debug<T: std::fmt::Debug>(r: Result<T>) -> String {
    format!("{:?}", r.unwrap())
}

/// Every line of `bodies`, with `{NS}` and `{XSI}` filled in, must be refused.
fn bad<T: std::fmt::Debug>(parse: fn(&[u8]) -> Result<T>, bodies: &str) {
    for b in bodies.lines().filter(|b| !b.is_empty()) {
        let r = parse(b.replace("{NS}", NS).replace("{XSI}", XSI).as_bytes());
        assert!(matches!(r, Err(Error::MalformedXml)), "{b}: {r:?}");
    }
}

#[test]
fn review_example_and_text_decoding() {
    let body = r#"<Delete><Quiet>true</Quiet>
 <!-- <Object><Key>keep/ledger.db</Key></Object> -->
 <Object><Key>tmp/a</Key></Object>
 <Object><Key>tmp&#47;b</Key></Object>
 <Object><Key xml:space="preserve">tmp/c</Key></Object>
 <Object><Key><![CDATA[tmp/d]]></Key></Object>
</Delete>"#;
    assert!(delete_objects(body.as_bytes()).unwrap().quiet);
    assert_eq!(keys(body), ["tmp/a", "tmp/b", "tmp/c", "tmp/d"]);
    let text = "  a&#47;&#x2F;&#xD;&#10;&lt;&gt;&amp;&quot;&apos;\r\nz  ";
    let body = format!("<Delete>\n <Object>\n  <Key>{text}</Key>\n </Object>\n</Delete>\n");
    assert_eq!(keys(&body), ["  a//\r\n<>&\"'\nz  "]);
    let cdata = "<Delete><Object><Key>a<![CDATA[<b>]]>c</Key></Object></Delete>";
    assert_eq!(keys(cdata), ["a<b>c"]);
    // Undefined entities, illegal characters and a dangling & are not XML.
    let cases = "<Delete><Object><Key>&nbsp;</Key></Object></Delete>
<Delete><Object><Key>&#1;</Key></Object></Delete>
<Delete><Object><Key>&#xFFFE;</Key></Object></Delete>
<Delete><Object><Key>a\u{1}</Key></Object></Delete>
<Delete><Object><Key>a & b</Key></Object></Delete>";
    bad(delete_objects, cases);
}

#[test]
fn boto3_delete_objects() {
    // botocore's rest-xml serializer: xmlns on the root, Objects before Quiet.
    let body = format!("<Delete{NS}><Object><Key>a b </Key></Object><Object><Key>x&amp;y&lt;z</Key><VersionId>v1</VersionId></Object><Quiet>true</Quiet></Delete>");
    let want = r#"DeleteRequest { quiet: true, objects: [ObjectId { key: "a b ", version_id: None }, ObjectId { key: "x&y<z", version_id: Some("v1") }] }"#;
    assert_eq!(debug(delete_objects(body.as_bytes())), want);
    let quiet = "<Delete><Quiet>True</Quiet><Object><Key>k</Key></Object></Delete>";
    assert!(delete_objects(quiet.as_bytes()).unwrap().quiet);
}

#[test]
fn namespaces_and_unknown_elements() {
    // Unqualified, default namespace, prefixed, and another URI on the root.
    let bodies = r#"<Delete><Object><Key>k</Key></Object></Delete>
<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>k</Key></Object></Delete>
<s3:Delete xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/"><s3:Object><s3:Key>k</s3:Key></s3:Object></s3:Delete>
<Delete xmlns="urn:x"><Object><Key>k</Key></Object></Delete>"#;
    for b in bodies.lines() {
        assert_eq!(keys(b), ["k"], "{b}");
    }
    // Unknown and foreign-namespace elements are never mistaken for known ones.
    let body = format!(
        "<Delete{NS}><Extra><Object><Key>no1</Key></Object></Extra>\
             <Object><Wrap><Key>no2</Key></Wrap><x:Key xmlns:x=\"urn:other\">no3</x:Key>\
             <Key>yes</Key><ChecksumFuture>1</ChecksumFuture></Object></Delete>"
    );
    assert_eq!(keys(&body), ["yes"]);
    // An unbound prefix; a duplicate Key is refused rather than one of them picked.
    let cases = "<s3:Delete><s3:Object><s3:Key>k</s3:Key></s3:Object></s3:Delete>
<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>";
    bad(delete_objects, cases);
}

#[test]
fn doctype_is_refused_and_processing_instructions_ignored() {
    // A DOCTYPE anywhere; a declaration not at the very start, not 1.0 or not UTF-8.
    let cases = r#"<!DOCTYPE Delete><Delete><Object><Key>k</Key></Object></Delete>
<?xml version="1.0"?><!DOCTYPE D [<!ENTITY a "aa">]><Delete><Object><Key>&a;</Key></Object></Delete>
<Delete><!DOCTYPE x><Object><Key>k</Key></Object></Delete>
<Delete><Object><Key>k</Key></Object></Delete><!DOCTYPE x>
 <?xml version="1.0"?><Delete><Object><Key>k</Key></Object></Delete>
<?xml version="1.1"?><Delete><Object><Key>k</Key></Object></Delete>
<?xml version="1.0" encoding="ISO-8859-1"?><Delete><Object><Key>k</Key></Object></Delete>"#;
    bad(delete_objects, cases);
    let pi = "<?xml version='1.0' encoding='utf-8'?><?a?><Delete><?b c?><Object><Key>k</Key></Object></Delete><?d?>";
    assert_eq!(keys(pi), ["k"]);
}

#[test]
fn malformed_documents() {
    let cases = r#"<Remove><Object><Key>k</Key></Object></Remove>
<Delete><Delete><Object><Key>k</Key></Object></Delete>
<Delete><Object><Key>k</Object></Key></Delete>
<Delete><Object><Key>k</Key></Object></Delete>junk
<Delete/><Delete><Object><Key>k</Key></Object></Delete>
<Delete><Object><Key>k</Key></Object></Delete></Delete>
junk<Delete><Object><Key>k</Key></Object></Delete>
<Delete><Object><Key a="1" a="2">k</Key></Object></Delete>
<Delete><Object><Key a=1>k</Key></Object></Delete>
<Delete><!-- a -- b --><Object><Key>k</Key></Object></Delete>
<Delete><Object><VersionId>v</VersionId></Object></Delete>
<Delete><Quiet>yes</Quiet><Object><Key>k</Key></Object></Delete>
<Delete><Quiet>true</Quiet></Delete>"#;
    bad(delete_objects, cases);
    let latin1 = b"<Delete><Object><Key>\xff</Key></Object></Delete>";
    for body in [&b""[..], b"  \n", latin1] {
        assert!(matches!(delete_objects(body), Err(Error::MalformedXml)));
    }
    // `</Key >` is a valid end tag; a UTF-8 BOM and trailing newlines are fine.
    let spaced = "\u{feff}<Delete ><Object><Key >k</Key ></Object\n></Delete>\n";
    assert_eq!(keys(spaced), ["k"]);
}

#[test]
fn limits() {
    let del = |n| format!("<Delete>{}</Delete>", OBJ.repeat(n));
    assert_eq!(keys(&del(1000)).len(), 1000);
    bad(delete_objects, &del(1001));
    // Tagging, TagSet, depth - 3 X and an inner Tag: 16 levels pass, 17 do not.
    let nest = |d: usize| ("<X>".repeat(d - 3), "</X>".repeat(d - 3));
    let nested = |(o, c)| format!("<Tagging><TagSet>{o}<Tag/>{c}</TagSet></Tagging>");
    assert_eq!(tagging(nested(nest(16)).as_bytes()).unwrap(), []);
    bad(tagging, &nested(nest(17)));
    let wide = |n: usize| format!("<Tagging><TagSet>{}</TagSet></Tagging>", "<X/>".repeat(n));
    assert_eq!(tagging(wide(9_998).as_bytes()).unwrap(), []);
    bad(tagging, &wide(9_999));
}

#[test]
fn complete_multipart_pairs_within_each_part() {
    // botocore: xmlns, ETag quoted and before PartNumber, checksums alongside.
    let boto = format!(
        r#"<CompleteMultipartUpload{NS}><Part><ETag>"abc"</ETag><PartNumber>1</PartNumber></Part><Part><ETag>"def"</ETag><PartNumber>2</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part></CompleteMultipartUpload>"#
    );
    let want =
        r#"[CompletePart { number: 1, etag: "abc" }, CompletePart { number: 2, etag: "def" }]"#;
    assert_eq!(debug(complete_multipart(boto.as_bytes())), want);
    let pretty = "<CompleteMultipartUpload>\n <Part>\n  <PartNumber> 7 </PartNumber>\n  <ETag> &quot;x1&quot; </ETag>\n </Part>\n</CompleteMultipartUpload>";
    let want = r#"[CompletePart { number: 7, etag: "x1" }]"#;
    assert_eq!(debug(complete_multipart(pretty.as_bytes())), want);
    // First: the middle Part lacks its ETag; zipping separate lists would pair 2 with c.
    let cases = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part><Part><PartNumber>2</PartNumber></Part><Part><PartNumber>3</PartNumber><ETag>c</ETag></Part></CompleteMultipartUpload>
<CompleteMultipartUpload{NS}></CompleteMultipartUpload>
<CompleteMultipartUpload><Part><ETag>a</ETag></Part></CompleteMultipartUpload>
<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>
<CompleteMultipartUpload><Part><PartNumber></PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>
<CompleteMultipartUpload><Part><PartNumber>+1</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>
<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>
<CompleteMultipartUpload><Part><PartNumber>4294967296</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>";
    bad(complete_multipart, cases);
}

#[test]
fn boto3_access_control_policy_and_grantee_types() {
    let body = format!(
        r#"<AccessControlPolicy{NS}><Owner><ID>alice</ID><DisplayName>Alice</DisplayName></Owner><AccessControlList><Grant><Grantee {XSI} xsi:type="CanonicalUser"><ID>bob</ID><DisplayName>Bob</DisplayName></Grantee><Permission>READ</Permission></Grant><Grant><Grantee {XSI} xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ_ACP</Permission></Grant><Grant><Grantee {XSI} xsi:type="AmazonCustomerByEmail"><EmailAddress>c@example.com</EmailAddress></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>"#
    );
    let want = r#"AccessControlPolicy { owner_id: Some("alice"), owner_display_name: Some("Alice"), grants: [GrantXml { grantee: CanonicalUser { id: "bob", display_name: Some("Bob") }, permission: "READ" }, GrantXml { grantee: Group { uri: "http://acs.amazonaws.com/groups/global/AllUsers" }, permission: "READ_ACP" }, GrantXml { grantee: Email { address: "c@example.com" }, permission: "FULL_CONTROL" }] }"#;
    assert_eq!(debug(access_control_policy(body.as_bytes())), want);
    let empty = b"<AccessControlPolicy><AccessControlList/></AccessControlPolicy>";
    let want = "AccessControlPolicy { owner_id: None, owner_display_name: None, grants: [] }";
    assert_eq!(debug(access_control_policy(empty)), want);
    let acl = |grant: &str| {
        format!("<AccessControlPolicy><AccessControlList><Grant>{grant}</Grant></AccessControlList></AccessControlPolicy>")
    };
    let grantee = |g: &str| debug(access_control_policy(acl(g).as_bytes()));
    // Any prefix bound to the XSI namespace, a bare `type`, or inferred from the child;
    // a `type` in another namespace is not the grantee type, so inference decides.
    let groups = r#"<Grantee xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="Group"><URI>u</URI></Grantee>
<Grantee type="Group"><URI>u</URI></Grantee>
<Grantee><URI>u</URI></Grantee>
<Grantee xmlns:o="urn:o" o:type="Nope"><URI>u</URI></Grantee>"#;
    for g in groups.lines() {
        let g = format!("{g}<Permission>READ</Permission>");
        let got = grantee(&g);
        assert!(got.contains(r#"grantee: Group { uri: "u" }"#), "{g}: {got}");
    }
    let user = grantee("<Grantee><ID>b</ID></Grantee><Permission>READ</Permission>");
    assert!(user.contains(r#"CanonicalUser { id: "b", display_name: None }"#));
    // Unknown or contradicted type, unbound prefix, ambiguous or empty grantee, and a
    // Grant missing its Grantee or Permission.
    let cases = r#"<Grantee {XSI} xsi:type="Robot"><ID>b</ID></Grantee><Permission>READ</Permission>
<Grantee {XSI} xsi:type="Group"><ID>b</ID></Grantee><Permission>READ</Permission>
<Grantee p:type="Group"><URI>u</URI></Grantee><Permission>READ</Permission>
<Grantee><ID>b</ID><URI>u</URI></Grantee><Permission>READ</Permission>
<Grantee/><Permission>READ</Permission>
<Permission>READ</Permission>
<Grantee><ID>b</ID></Grantee>"#;
    let cases: Vec<_> = cases.lines().map(acl).collect();
    bad(access_control_policy, &cases.join("\n"));
}

#[test]
fn boto3_tagging_and_create_bucket() {
    let body = format!("<Tagging{NS}><TagSet><Tag><Key>k1</Key><Value>v1</Value></Tag><Tag><Key>k2</Key><Value /></Tag><Tag><Key> k3 </Key><Value></Value></Tag></TagSet></Tagging>");
    let want = r#"[("k1", "v1"), ("k2", ""), (" k3 ", "")]"#;
    assert_eq!(debug(tagging(body.as_bytes())), want);
    assert_eq!(tagging(b"<Tagging><TagSet/></Tagging>").unwrap(), []);
    let no_key = "<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>";
    let no_value = "<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>";
    bad(
        tagging,
        &format!("{no_key}\n{no_value}\n<Tagging{NS}></Tagging>"),
    );
    let cbc = |b: &str| create_bucket_configuration(b.as_bytes()).unwrap();
    let lc = format!("<CreateBucketConfiguration{NS}><LocationConstraint> eu-west-1\n</LocationConstraint></CreateBucketConfiguration>");
    assert_eq!(cbc(&lc), " eu-west-1\n");
    let empty = "<CreateBucketConfiguration><LocationConstraint/></CreateBucketConfiguration>";
    assert_eq!(cbc(empty), "");
    let cases = "<BucketConfiguration/>\n<CreateBucketConfiguration>\n<CreateBucketConfiguration/>";
    bad(create_bucket_configuration, cases);
}

#[test]
fn complete_multipart_reads_parts_by_number_as_radosgw() {
    // Out of order, and part 1 twice: number order, the ETag listed last for part 1.
    let body = "<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>b</ETag></Part><Part><PartNumber>1</PartNumber><ETag>old</ETag></Part><Part><PartNumber>1</PartNumber><ETag>new</ETag></Part></CompleteMultipartUpload>";
    let want =
        r#"[CompletePart { number: 1, etag: "new" }, CompletePart { number: 2, etag: "b" }]"#;
    assert_eq!(debug(complete_multipart(body.as_bytes())), want);
}

"""Bucket lifecycle: the configuration as radosgw 16.2.15 takes and shows it (every answer
here is the one it gave to the same request: notes/probe_lc.py ran both), and the rules
acting — objects past their days removed (the bucket's stats follow), unfinished uploads
aborted, only what a rule's prefix and tags cover — on a server whose lifecycle "day" lasts
two seconds (`lc_debug_interval`, radosgw's `rgw_lc_debug_interval`), and by
`rgw-admin lc process` on a stopped store."""
import json
import os
import time

import pytest
from botocore.exceptions import ClientError

import helpers

NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'


def lc(rules):
    return f"<LifecycleConfiguration {NS}>{rules}</LifecycleConfiguration>".encode()


def err(r):
    return r.status_code, (r.text.split("<Code>")[1].split("</Code>")[0] if "<Code>" in r.text else "")


@pytest.fixture
def owner(rgw, admin, uid):
    k = admin.create_user(uid)["keys"][0]
    raw = helpers.Client(rgw, k["access_key"], k["secret_key"])
    s3 = helpers.s3_client(rgw, k["access_key"], k["secret_key"])
    b = f"{uid}-lc"
    s3.create_bucket(Bucket=b)
    return b, raw, s3


def test_configuration_as_radosgw_keeps_it(owner):
    b, raw, s3 = owner
    r = raw.get(f"/{b}", [("lifecycle", None)])
    assert err(r) == (404, "NoSuchLifecycleConfiguration")
    assert raw.delete(f"/{b}", [("lifecycle", None)]).status_code == 204
    rules = ("<Rule><ID>a</ID><Prefix>x/</Prefix><Status>Enabled</Status><Expiration><Days>1"
             "</Days></Expiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>3"
             "</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>"
             "<Rule><ID>b</ID><Filter><Prefix>y/</Prefix></Filter><Status>Disabled</Status>"
             "<Expiration><Date>2027-02-01T00:00:00Z</Date></Expiration></Rule>"
             "<Rule><ID>c</ID><Filter><And><Prefix>a/</Prefix><Tag><Key>k</Key><Value>v</Value>"
             "</Tag><Tag><Key>k2</Key><Value>v2</Value></Tag></And></Filter><Status>Enabled"
             "</Status><Expiration><Days>3</Days></Expiration></Rule>")
    r = raw.put(f"/{b}", [("lifecycle", None)], body=lc(rules))
    assert (r.status_code, r.text) == (200, ""), r.text
    r = raw.get(f"/{b}", [("lifecycle", None)])
    assert r.text == (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<LifecycleConfiguration {NS}><Rule><ID>a</ID><Prefix>x/</Prefix><Status>Enabled'
        '</Status><Expiration><Days>1</Days></Expiration><AbortIncompleteMultipartUpload>'
        '<DaysAfterInitiation>3</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>'
        '<Rule><ID>b</ID><Filter><Prefix>y/</Prefix></Filter><Status>Disabled</Status>'
        '<Expiration><Date>2027-02-01T00:00:00Z</Date></Expiration></Rule>'
        '<Rule><ID>c</ID><Filter><Prefix>a/</Prefix><And><Tag><Key>k</Key><Value>v</Value>'
        '</Tag><Tag><Key>k2</Key><Value>v2</Value></Tag></And></Filter><Status>Enabled'
        '</Status><Expiration><Days>3</Days></Expiration></Rule></LifecycleConfiguration>')
    # boto3 reads it back.
    got = s3.get_bucket_lifecycle_configuration(Bucket=b)["Rules"]
    assert [(g["ID"], g["Status"]) for g in got] == [("a", "Enabled"), ("b", "Disabled"),
                                                    ("c", "Enabled")]
    assert raw.delete(f"/{b}", [("lifecycle", None)]).status_code == 204
    assert err(raw.get(f"/{b}", [("lifecycle", None)])) == (404, "NoSuchLifecycleConfiguration")


TAG = "<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>"


@pytest.mark.parametrize("rules,want", [
    ("", "MalformedXML"),
    ("<Rule><ID>a</ID><Prefix>x</Prefix><Status>On</Status><Expiration><Days>1</Days>"
     "</Expiration></Rule>", "MalformedXML"),
    ("<Rule><ID>a</ID><Prefix>x</Prefix><Status>Enabled</Status></Rule>", "MalformedXML"),
    ("<Rule><ID>z</ID><Prefix></Prefix><Status>Enabled</Status><Expiration><Days>0</Days>"
     "</Expiration></Rule>", "InvalidArgument"),
    ("<Rule><ID>d</ID><Prefix></Prefix><Status>Enabled</Status><Expiration><Date>"
     "2027-01-01T10:00:00.000Z</Date></Expiration></Rule>", "MalformedXML"),
    ("<Rule><ID>a</ID><Prefix>x</Prefix><Status>Enabled</Status><Expiration><Days>1</Days>"
     "</Expiration></Rule><Rule><ID>a</ID><Prefix>y</Prefix><Status>Enabled</Status>"
     "<Expiration><Days>1</Days></Expiration></Rule>", "InvalidArgument"),
    ("<Rule><ID>" + "i" * 256 + "</ID><Prefix>x</Prefix><Status>Enabled</Status><Expiration>"
     "<Days>1</Days></Expiration></Rule>", "InvalidArgument"),
    # A tag filter beside the rules that read no object's tags (radosgw's check_and_add_rule).
    ("<Rule><ID>t</ID>" + TAG + "<Status>Disabled</Status><AbortIncompleteMultipartUpload>"
     "<DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>",
     "InvalidRequest"),
    ("<Rule><ID>t</ID>" + TAG + "<Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>"
     "true</ExpiredObjectDeleteMarker></Expiration></Rule>", "InvalidRequest"),
    # Decoding comes first (every rule), then each rule in the order of the ids.
    ("<Rule><ID>a</ID><Prefix>x</Prefix><Status>Enabled</Status><Expiration><Days>0</Days>"
     "</Expiration></Rule><Rule><ID>b</ID><Status>Bogus</Status></Rule>", "MalformedXML"),
    ("<Rule><ID>b</ID><Prefix>x</Prefix><Status>Enabled</Status><Expiration><Days>0</Days>"
     "</Expiration></Rule><Rule><ID>a</ID>" + TAG + "<Status>Enabled</Status>"
     "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
     "</AbortIncompleteMultipartUpload></Rule>", "InvalidRequest"),
    # An expiration that does nothing; days and dates mixed; a storage class named twice.
    ("<Rule><ID>a</ID><Prefix>x</Prefix><Status>Enabled</Status><Expiration>"
     "<ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker></Expiration></Rule>",
     "InvalidArgument"),
    ("<Rule><ID>a</ID><Prefix>x</Prefix><Status>Enabled</Status><Expiration><Days>5</Days>"
     "</Expiration><Transition><Date>2030-01-01T00:00:00Z</Date><StorageClass>A</StorageClass>"
     "</Transition></Rule>", "InvalidArgument"),
    ("<Rule><ID>a</ID><Prefix>x</Prefix><Status>Enabled</Status><Transition><Days>1</Days>"
     "<StorageClass>A</StorageClass></Transition><Transition><Days>2</Days><StorageClass>A"
     "</StorageClass></Transition></Rule>", "MalformedXML"),
])
def test_refused_configurations_change_nothing(owner, rules, want):
    b, raw, _ = owner
    keep = ("<Rule><ID>keep</ID><Prefix>k/</Prefix><Status>Enabled</Status><Expiration><Days>9"
            "</Days></Expiration></Rule>")
    assert raw.put(f"/{b}", [("lifecycle", None)], body=lc(keep)).status_code == 200
    assert err(raw.put(f"/{b}", [("lifecycle", None)], body=lc(rules))) == (400, want)
    assert "<ID>keep</ID>" in raw.get(f"/{b}", [("lifecycle", None)]).text


def test_only_the_owner_sets_it(rgw, admin, owner, uid):
    b, raw, _ = owner
    k = admin.create_user(f"{uid}-other")["keys"][0]
    other = helpers.Client(rgw, k["access_key"], k["secret_key"])
    body = lc("<Rule><ID>a</ID><Prefix></Prefix><Status>Enabled</Status><Expiration><Days>1"
              "</Days></Expiration></Rule>")
    assert err(other.put(f"/{b}", [("lifecycle", None)], body=body)) == (403, "AccessDenied")
    assert err(raw.get(f"/{b}", [("lifecycle", None)])) == (404, "NoSuchLifecycleConfiguration")


def wait_for(cond, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.25)
    return False


def test_rules_act(start_server):
    srv = start_server(env={"RGW_ADMIN_LC_DEBUG_INTERVAL": "2"})
    admin = srv.admin()
    k = admin.create_user("lcuser")["keys"][0]
    s3 = helpers.s3_client(srv, k["access_key"], k["secret_key"])
    b = "lc-acts"
    s3.create_bucket(Bucket=b)
    for key in ("logs/1", "logs/2", "keep/1", "tagged/yes", "tagged/no"):
        s3.put_object(Bucket=b, Key=key, Body=b"x" * 100)
    s3.put_object_tagging(Bucket=b, Key="tagged/yes",
                          Tagging={"TagSet": [{"Key": "tmp", "Value": "1"}]})
    up = s3.create_multipart_upload(Bucket=b, Key="logs/big")["UploadId"]
    s3.upload_part(Bucket=b, Key="logs/big", UploadId=up, PartNumber=1, Body=b"p" * 1000)
    kept_up = s3.create_multipart_upload(Bucket=b, Key="keep/big")["UploadId"]
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
        {"ID": "logs", "Filter": {"Prefix": "logs/"}, "Status": "Enabled",
         "Expiration": {"Days": 1},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
        {"ID": "tagged", "Filter": {"And": {"Prefix": "tagged/",
                                            "Tags": [{"Key": "tmp", "Value": "1"}]}},
         "Status": "Enabled", "Expiration": {"Days": 1}},
        {"ID": "off", "Filter": {"Prefix": "keep/"}, "Status": "Disabled",
         "Expiration": {"Days": 1}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
    ]})

    def keys():
        return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=b).get("Contents", []))
    assert wait_for(lambda: keys() == ["keep/1", "tagged/no"]), keys()
    uploads = [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=b).get("Uploads", [])]
    assert wait_for(lambda: [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=b)
                             .get("Uploads", [])] == [kept_up]), uploads
    # The bucket's and the owner's stats count what is left.
    stats = admin.get("/admin/bucket", [("bucket", b), ("stats", "true")]).json()
    assert stats["usage"]["rgw.main"]["num_objects"] == 2
    assert stats["usage"]["rgw.main"]["size"] == 200
    # A new object under the prefix lives its day, then goes too.
    s3.put_object(Bucket=b, Key="logs/3", Body=b"y")
    assert "logs/3" in keys()
    assert wait_for(lambda: "logs/3" not in keys())


def test_cli_process_on_a_stopped_store(start_server):
    srv = start_server(env={"RGW_ADMIN_LC_INTERVAL": "86400"})
    admin = srv.admin()
    k = admin.create_user("lccli")["keys"][0]
    s3 = helpers.s3_client(srv, k["access_key"], k["secret_key"])
    s3.create_bucket(Bucket="lc-cli")
    s3.put_object(Bucket="lc-cli", Key="old/1", Body=b"x")
    s3.put_object(Bucket="lc-cli", Key="new/1", Body=b"x")
    # An expiry date in the past: the object is due whatever its age.
    s3.put_bucket_lifecycle_configuration(Bucket="lc-cli", LifecycleConfiguration={"Rules": [
        {"ID": "old", "Filter": {"Prefix": "old/"}, "Status": "Enabled",
         "Expiration": {"Date": "2020-01-01T00:00:00Z"}}]})
    srv.stop()
    p = helpers.run_cli(srv.data_dir, "lc", "process", "--bucket", "lc-cli")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"buckets": 1, "expired_objects": 1, "aborted_uploads": 0}
    p = helpers.run_cli(srv.data_dir, "lc", "process")
    assert json.loads(p.stdout)["expired_objects"] == 0
    p = helpers.run_cli(srv.data_dir, "lc", "process", "--bucket", "nope")
    assert p.returncode == 1 and "NoSuchBucket" in p.stderr
    srv.start()
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="lc-cli")["Contents"]] == ["new/1"]
    with pytest.raises(ClientError):
        s3.head_object(Bucket="lc-cli", Key="old/1")


# The rules whose `radosgw-admin lc get` radosgw 16.2.15 printed as
# captured/radosgw-admin-lc-get.json: tags, dates, transitions by class, noncurrent rules,
# a delete-marker rule, a rule's own prefix, and one prefix under two rules.
LC_GET_RULES = [
    {"ID": "z", "Filter": {"And": {"Prefix": "p/", "Tags": [{"Key": "b", "Value": "2"},
                                                           {"Key": "a", "Value": "1"}]}},
     "Status": "Enabled", "Expiration": {"Date": "2032-01-01T00:00:00Z"},
     "Transitions": [{"Date": "2030-01-01T00:00:00Z", "StorageClass": "B"},
                     {"Date": "2031-01-01T00:00:00Z", "StorageClass": "A"}]},
    {"ID": "m", "Filter": {"Prefix": ""}, "Status": "Enabled",
     "NoncurrentVersionTransitions": [{"NoncurrentDays": 3, "StorageClass": "C"}],
     "NoncurrentVersionExpiration": {"NoncurrentDays": 9}},
    {"ID": "b", "Filter": {"Prefix": "x/"}, "Status": "Disabled", "Expiration": {"Days": 7},
     "Transitions": [{"Days": 2, "StorageClass": "T"}]},
    {"ID": "a", "Filter": {"Prefix": "x/"}, "Status": "Enabled", "Expiration": {"Days": 1}},
    {"ID": "e", "Filter": {"Prefix": "d/"}, "Status": "Enabled",
     "Expiration": {"ExpiredObjectDeleteMarker": True},
     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}},
    {"ID": "r", "Prefix": "q/", "Status": "Enabled", "Expiration": {"Days": 2}},
]


def test_cli_get_prints_what_radosgw_admin_prints(start_server):
    srv = start_server()
    k = srv.admin().create_user("lcget")["keys"][0]
    s3 = helpers.s3_client(srv, k["access_key"], k["secret_key"])
    s3.create_bucket(Bucket="lceight")
    s3.create_bucket(Bucket="lcnone")
    s3.put_bucket_lifecycle_configuration(Bucket="lceight",
                                          LifecycleConfiguration={"Rules": LC_GET_RULES})
    srv.stop()
    p = helpers.run_cli(srv.data_dir, "lc", "get", "--bucket", "lceight")
    assert p.returncode == 0, p.stderr
    with open(os.path.join(os.path.dirname(__file__), "captured",
                           "radosgw-admin-lc-get.json")) as f:
        assert p.stdout == f.read()
    p = helpers.run_cli(srv.data_dir, "lc", "get", "--bucket", "lcnone")
    assert p.returncode == 1 and p.stdout == "" and "NoSuchLifecycleConfiguration" in p.stderr
    p = helpers.run_cli(srv.data_dir, "lc", "get", "--bucket", "nope")
    assert p.returncode == 1 and "NoSuchBucket" in p.stderr


def test_cli_list_shows_each_bucket_s_last_pass(start_server):
    """`lc list` as radosgw-admin prints it: `tenant:bucket:marker` of every bucket with
    rules, when a pass last started on it and how it ended; UNINITIAL (at the epoch) until
    one has, and again once the rules are set anew; a bucket whose rules are deleted leaves
    the list."""
    srv = start_server(env={"RGW_ADMIN_LC_INTERVAL": "86400"})
    k = srv.admin().create_user("lclist")["keys"][0]
    s3 = helpers.s3_client(srv, k["access_key"], k["secret_key"])
    rules = {"Rules": [{"ID": "r", "Filter": {"Prefix": "x/"}, "Status": "Enabled",
                        "Expiration": {"Days": 1}}]}
    for b in ("lc-a", "lc-b", "lc-c"):
        s3.create_bucket(Bucket=b)
    s3.put_bucket_lifecycle_configuration(Bucket="lc-a", LifecycleConfiguration=rules)
    s3.put_bucket_lifecycle_configuration(Bucket="lc-c", LifecycleConfiguration=rules)
    markers = {b: srv.admin().get("/admin/bucket", [("bucket", b)]).json()["marker"]
               for b in ("lc-a", "lc-c")}
    srv.stop()

    def listed():
        p = helpers.run_cli(srv.data_dir, "lc", "list")
        assert p.returncode == 0, p.stderr
        return {e["bucket"]: (e["started"], e["status"]) for e in json.loads(p.stdout)}
    epoch = ("Thu, 01 Jan 1970 00:00:00 GMT", "UNINITIAL")
    assert listed() == {f":lc-a:{markers['lc-a']}": epoch, f":lc-c:{markers['lc-c']}": epoch}
    before = time.time()
    assert helpers.run_cli(srv.data_dir, "lc", "process", "--bucket", "lc-a").returncode == 0
    got = listed()
    started, status = got[f":lc-a:{markers['lc-a']}"]
    assert status == "COMPLETE"
    when = time.mktime(time.strptime(started, "%a, %d %b %Y %H:%M:%S GMT")) - time.timezone
    assert before - 2 <= when <= time.time() + 1, started
    assert got[f":lc-c:{markers['lc-c']}"] == epoch
    srv.start()
    rules["Rules"][0]["Expiration"]["Days"] = 2
    s3.put_bucket_lifecycle_configuration(Bucket="lc-a", LifecycleConfiguration=rules)
    s3.delete_bucket_lifecycle(Bucket="lc-c")
    srv.stop()
    assert listed() == {f":lc-a:{markers['lc-a']}": epoch}


def test_answers_name_the_expiry(owner):
    """PUT, GET and HEAD of an object a rule covers say when it expires and by which rule,
    as radosgw does (`x-amz-expiration`); other objects say nothing."""
    b, raw, s3 = owner
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
        {"ID": "rule1", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled",
         "Expiration": {"Days": 1}},
        {"ID": "dated", "Filter": {"Tag": {"Key": "k", "Value": "v"}}, "Status": "Enabled",
         "Expiration": {"Date": "2030-01-01T00:00:00Z"}}]})
    r = s3.put_object(Bucket=b, Key="tmp/x", Body=b"x")
    h = r["ResponseMetadata"]["HTTPHeaders"]["x-amz-expiration"]
    assert h.startswith('expiry-date="') and h.endswith('00:00:00 GMT", rule-id="rule1"'), h
    for call in (s3.head_object, s3.get_object):
        got = call(Bucket=b, Key="tmp/x")["ResponseMetadata"]["HTTPHeaders"]
        assert got["x-amz-expiration"] == h
    r = s3.put_object(Bucket=b, Key="other", Body=b"x", Tagging="k=v")
    assert r["ResponseMetadata"]["HTTPHeaders"]["x-amz-expiration"] == \
        'expiry-date="Tue, 01 Jan 2030 00:00:00 GMT", rule-id="dated"'
    r = s3.put_object(Bucket=b, Key="plain", Body=b"x")
    assert "x-amz-expiration" not in r["ResponseMetadata"]["HTTPHeaders"]
    assert "x-amz-expiration" not in s3.head_object(Bucket=b, Key="plain")[
        "ResponseMetadata"]["HTTPHeaders"]

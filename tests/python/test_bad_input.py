"""Bad input for every implemented user/subuser/key/caps/quota op: radosgw's status and Code
(tests/golden and the oracle README for 16.2.15), a radosgw error body, and the store left
exactly as it was (user list + info of every touched user, before == after).

Each case runs against the default (reef) server and the pacific one; where the two levels
differ the case says so.
"""
import uuid
from dataclasses import dataclass

import pytest

import helpers

U = "/admin/user"


@dataclass
class World:
    v: str          # victim user: email, fixed key, caps, swift subuser v:sw
    w: str          # a second user: email, fixed key
    new: str        # a uid nobody created
    v_ak: str
    w_ak: str
    v_email: str
    w_email: str


def make_world(admin):
    tag = uuid.uuid4().hex[:10]
    v, w = f"bad-v-{tag}", f"bad-w-{tag}"
    world = World(v=v, w=w, new=f"bad-new-{tag}", v_ak=f"BADV{tag.upper()}000000",
                  w_ak=f"BADW{tag.upper()}000000", v_email=f"{v}@example.com",
                  w_email=f"{w}@example.com")
    admin.create_user(v, "Victim", email=world.v_email, access_key=world.v_ak,
                      secret_key="v" * 40, user_caps="usage=read")
    r = admin.put(U, [("subuser", f"{v}:sw"), ("uid", v), ("access", "read"),
                      ("key-type", "swift"), ("secret-key", "s" * 40)])
    assert r.status_code == 200, r.text
    admin.create_user(w, "Other", email=world.w_email, access_key=world.w_ak,
                      secret_key="w" * 40)
    return world


BOTH = ("pacific", "reef")

# id, method, query(world) → [(k, v)], {compat: (status, Code)} or (status, Code) for both,
# extra request options
CASES = [
    # --- create --------------------------------------------------------------------------
    ("create-no-uid", "PUT", lambda W: [("display-name", "No Uid")],
     {"pacific": (403, "AccessDenied"), "reef": (400, "InvalidArgument")}, {}),
    ("create-no-display-name", "PUT", lambda W: [("uid", W.new)], (400, "InvalidArgument"), {}),
    ("create-empty-display-name", "PUT", lambda W: [("uid", W.new), ("display-name", "")],
     (400, "InvalidArgument"), {}),
    ("create-existing-uid", "PUT", lambda W: [("uid", W.v), ("display-name", "Other Name")],
     (409, "UserAlreadyExists"), {}),
    ("create-existing-uid-same-params", "PUT",
     lambda W: [("uid", W.v), ("display-name", "Victim"), ("email", W.v_email),
                ("access-key", W.v_ak), ("secret-key", "v" * 40)],
     (409, "UserAlreadyExists"), {}),
    ("create-existing-uid-xml", "PUT",
     lambda W: [("uid", W.v), ("display-name", "X"), ("format", "xml")],
     (409, "UserAlreadyExists"), {"fmt": "xml"}),
    ("create-existing-email", "PUT",
     lambda W: [("uid", W.new), ("display-name", "New"), ("email", W.v_email)],
     (409, "EmailExists"), {}),
    ("create-existing-access-key", "PUT",
     lambda W: [("uid", W.new), ("display-name", "New"), ("access-key", W.v_ak),
                ("secret-key", "n" * 40)],
     (409, "KeyExists"), {}),
    ("create-swift-key-type", "PUT",
     lambda W: [("uid", W.new), ("display-name", "Swift"), ("key-type", "swift")],
     (403, "InvalidAccessKeyId"), {}),
    ("create-caps-unknown-type", "PUT",
     lambda W: [("uid", W.new), ("display-name", "Caps"), ("user-caps", "bogus=read")],
     (400, "InvalidCapability"), {}),
    ("create-caps-no-perm", "PUT",
     lambda W: [("uid", W.new), ("display-name", "Caps"), ("user-caps", "users")],
     (400, "InvalidCapability"), {}),
    ("create-uid-5000-chars", "PUT", lambda W: [("uid", "a" * 5000), ("display-name", "Long")],
     (400, "InvalidArgument"), {}),
    ("create-uid-not-utf8", "PUT", lambda W: [("uid", b"\xff"), ("display-name", "Bytes")],
     (400, "InvalidArgument"), {}),
    ("create-display-name-not-utf8", "PUT",
     lambda W: [("uid", W.new), ("display-name", b"caf\xe9")], (400, "InvalidArgument"), {}),
    # --- info ----------------------------------------------------------------------------
    ("info-no-uid", "GET", lambda W: [], (400, "InvalidArgument"), {}),
    ("info-unknown-user", "GET", lambda W: [("uid", W.new)], (404, "NoSuchUser"), {}),
    ("info-unknown-user-xml", "GET", lambda W: [("uid", W.new), ("format", "xml")],
     (404, "NoSuchUser"), {"fmt": "xml"}),
    ("info-uid-5000-chars", "GET", lambda W: [("uid", "a" * 5000)], (400, "InvalidArgument"), {}),
    ("info-uid-not-utf8", "GET", lambda W: [("uid", b"\xff")], (400, "InvalidArgument"), {}),
    # --- modify --------------------------------------------------------------------------
    ("modify-unknown-user", "POST", lambda W: [("uid", W.new), ("display-name", "X")],
     (404, "NoSuchUser"), {}),
    ("modify-email-of-other-user", "POST", lambda W: [("uid", W.v), ("email", W.w_email)],
     (409, "EmailExists"), {}),
    ("modify-key-of-other-user", "POST",
     lambda W: [("uid", W.v), ("access-key", W.w_ak), ("secret-key", "x")],
     (409, "KeyExists"), {}),
    ("modify-uid-not-utf8", "POST", lambda W: [("uid", b"\xff"), ("display-name", "X")],
     (400, "InvalidArgument"), {}),
    # --- remove --------------------------------------------------------------------------
    ("remove-unknown-user", "DELETE", lambda W: [("uid", W.new)], (404, "NoSuchUser"), {}),
    ("remove-unknown-user-xml", "DELETE", lambda W: [("uid", W.new), ("format", "xml")],
     (404, "NoSuchUser"), {"fmt": "xml"}),
    # --- caps ----------------------------------------------------------------------------
    ("caps-add-unknown-type", "PUT",
     lambda W: [("caps", None), ("uid", W.v), ("user-caps", "bogus=read")],
     (400, "InvalidCapability"), {}),
    ("caps-add-no-perm", "PUT", lambda W: [("caps", None), ("uid", W.v), ("user-caps", "users")],
     (400, "InvalidCapability"), {}),
    ("caps-remove-unknown-type", "DELETE",
     lambda W: [("caps", None), ("uid", W.v), ("user-caps", "bogus=read")],
     (400, "InvalidCapability"), {}),
    ("caps-add-unknown-user", "PUT",
     lambda W: [("caps", None), ("uid", W.new), ("user-caps", "users=read")],
     (404, "NoSuchUser"), {}),
    ("caps-remove-unknown-user", "DELETE",
     lambda W: [("caps", None), ("uid", W.new), ("user-caps", "usage=read")],
     (404, "NoSuchUser"), {}),
    # --- keys ----------------------------------------------------------------------------
    ("key-create-unknown-user", "PUT",
     lambda W: [("key", None), ("uid", W.new), ("generate-key", "true")], (404, "NoSuchUser"), {}),
    ("key-create-key-of-other-user", "PUT",
     lambda W: [("key", None), ("uid", W.v), ("access-key", W.w_ak), ("secret-key", "zz")],
     (409, "KeyExists"), {}),
    ("key-remove-unknown-key", "DELETE",
     lambda W: [("key", None), ("uid", W.v), ("access-key", "NOSUCHKEY")],
     (403, "InvalidAccessKeyId"), {}),
    ("key-remove-unknown-key-xml", "DELETE",
     lambda W: [("key", None), ("uid", W.v), ("access-key", "NOSUCHKEY"), ("format", "xml")],
     (403, "InvalidAccessKeyId"), {"fmt": "xml"}),
    ("key-remove-no-access-key", "DELETE", lambda W: [("key", None), ("uid", W.v)],
     (403, "InvalidAccessKeyId"), {}),
    ("key-remove-unknown-user", "DELETE",
     lambda W: [("key", None), ("uid", W.new), ("access-key", W.v_ak)], (404, "NoSuchUser"), {}),
    # --- subusers ------------------------------------------------------------------------
    ("subuser-create-unknown-user", "PUT",
     lambda W: [("subuser", f"{W.new}:x"), ("uid", W.new), ("access", "read")],
     (404, "NoSuchUser"), {}),
    ("subuser-create-invalid-access", "PUT",
     lambda W: [("subuser", f"{W.v}:bad"), ("uid", W.v), ("access", "bogus")],
     (400, "InvalidArgument"), {}),
    ("subuser-modify-invalid-access", "POST",
     lambda W: [("subuser", f"{W.v}:sw"), ("uid", W.v), ("access", "bogus")],
     (400, "InvalidArgument"), {}),
    ("subuser-modify-unknown-subuser", "POST",
     lambda W: [("subuser", f"{W.v}:nosuch"), ("uid", W.v), ("access", "read")],
     (404, "NoSuchSubUser"), {}),
    ("subuser-remove-unknown-subuser", "DELETE",
     lambda W: [("subuser", f"{W.v}:nosuch"), ("uid", W.v)], (404, "NoSuchSubUser"), {}),
    ("subuser-modify-unknown-user", "POST",
     lambda W: [("subuser", f"{W.new}:sw"), ("uid", W.new), ("access", "read")],
     (404, "NoSuchUser"), {}),
    ("subuser-remove-unknown-user", "DELETE",
     lambda W: [("subuser", f"{W.new}:sw"), ("uid", W.new)], (404, "NoSuchUser"), {}),
    # --- quota ---------------------------------------------------------------------------
    ("quota-get-unknown-user", "GET",
     lambda W: [("quota", None), ("uid", W.new), ("quota-type", "user")], (404, "NoSuchUser"), {}),
    ("quota-get-bad-type", "GET",
     lambda W: [("quota", None), ("uid", W.v), ("quota-type", "bogus")],
     (400, "InvalidArgument"), {}),
    ("quota-set-unknown-user", "PUT",
     lambda W: [("quota", None), ("uid", W.new), ("quota-type", "user"), ("max-objects", "5"),
                ("enabled", "true")], (404, "NoSuchUser"), {}),
    ("quota-set-bad-json", "PUT", lambda W: [("quota", None), ("uid", W.v), ("quota-type", "user")],
     (400, "InvalidArgument"),
     {"body": b"{not json", "headers": {"Content-Type": "application/json"},
      "auth": "v4-unsigned"}),
    ("quota-set-hashed-body-pacific", "PUT",
     lambda W: [("quota", None), ("uid", W.v), ("quota-type", "user")],
     {"pacific": (501, "NotImplemented")},
     {"body": b'{"enabled": true, "max_size_kb": 1024, "max_objects": 10}',
      "headers": {"Content-Type": "application/json"}}),
    # --- method / resource ---------------------------------------------------------------
    ("patch-user", "PATCH", lambda W: [("uid", W.v), ("display-name", "Patched")],
     (405, "MethodNotAllowed"), {}),
]


def _params():
    for case_id, method, query, expect, opts in CASES:
        for compat in BOTH:
            want = expect.get(compat) if isinstance(expect, dict) else expect
            if want is not None:  # some cases exist at one level only
                yield pytest.param(compat, method, query, want, opts, id=f"{compat}-{case_id}")


@pytest.mark.parametrize("compat,method,query,want,opts", list(_params()))
def test_bad_input_leaves_store_unchanged(request, compat, method, query, want, opts):
    srv = request.getfixturevalue({"reef": "rgw", "pacific": "pacific"}[compat])
    admin = srv.admin()
    world = make_world(admin)
    touched = [world.v, world.w, world.new, "admin"]
    before = helpers.snapshot(admin, touched)
    assert before[1][world.new][0] == 404
    opts = dict(opts)
    fmt = opts.pop("fmt", "json")
    r = admin.request(method, U, query(world), **opts)
    helpers.assert_error(r, want[0], want[1], fmt=fmt)
    after = helpers.snapshot(admin, touched)
    assert after == before, "the refused request changed the store"

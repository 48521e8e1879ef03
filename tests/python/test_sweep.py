"""The start-up sweep: data files from before the process that no index entry names (what a
crash between publishing a file and committing its entry leaves) are deleted in the
background; files named by an object or by a part of an upload in progress are kept, so
the object reads and the upload completes after the restart."""
import os
import time

import helpers


def data_files(objects):
    return {f for _, _, files in os.walk(objects) for f in files
            if len(f) == 32 and all(c in "0123456789abcdef" for c in f)}


def test_sweep_removes_only_unnamed_old_files(tmp_path, start_server):
    data = str(tmp_path / "data")
    objects = os.path.join(data, "objects")
    srv = start_server(data_dir=data)
    u = srv.admin().create_user("sweeper")
    k = u["keys"][0]
    c = helpers.s3_client(srv, k["access_key"], k["secret_key"])
    c.create_bucket(Bucket="swept")
    c.put_object(Bucket="swept", Key="kept", Body=b"object data")
    up = c.create_multipart_upload(Bucket="swept", Key="pending")["UploadId"]
    etag = c.upload_part(Bucket="swept", Key="pending", UploadId=up, PartNumber=1,
                         Body=b"part data")["ETag"]
    named = data_files(objects)
    assert len(named) == 2
    srv.stop()

    orphans = []
    for i in range(3):
        oid = f"{i:02x}" + "e" * 30
        os.makedirs(os.path.join(objects, oid[:2]), exist_ok=True)
        path = os.path.join(objects, oid[:2], oid)
        with open(path, "wb") as f:
            f.write(b"left by a crash")
        os.utime(path, (time.time() - 60, time.time() - 60))
        orphans.append(oid)
    assert data_files(objects) == named | set(orphans)

    again = start_server(data_dir=data)
    deadline = time.monotonic() + 10
    while data_files(objects) != named:
        assert time.monotonic() < deadline, (sorted(data_files(objects)), again.log_tail())
        time.sleep(0.05)
    c = helpers.s3_client(again, k["access_key"], k["secret_key"])
    assert c.get_object(Bucket="swept", Key="kept")["Body"].read() == b"object data"
    c.complete_multipart_upload(Bucket="swept", Key="pending", UploadId=up,
                                MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert c.get_object(Bucket="swept", Key="pending")["Body"].read() == b"part data"

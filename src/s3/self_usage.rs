//! `GET /?usage`: the caller's own usage and quota summary, radosgw's `RGWGetUsage` (an S3
//! extension every radosgw release serves; Ceph's s3-tests read it).
//!
//! radosgw reads usage log entries only for a request naming a bucket, and this one never
//! does (`s->bucket` is empty at the service level), so `Entries` is always empty and
//! `Summary` holds no per-user usage: only the user's quotas, bucket limit and stored bytes
//! and objects (its stats, synced first, so current), then each bucket's bytes under
//! `CapacityUsed`. Its `QuotaMaxBytesPerBucket` carries the bucket quota's object limit and
//! `QuotaMaxObjCountPerBucket` its byte limit: radosgw swaps the two, and a client reading
//! them reads radosgw's.

use super::{Reply, S3Request};
use crate::domain::App;
use crate::encode::s3::Xml;
use crate::error::{Error, Result};

pub async fn get(app: &App, req: &S3Request) -> Result<Reply> {
    let user = req.caller.user.as_ref().ok_or(Error::AccessDenied)?;
    // The dates select log entries radosgw never shows here; it still refuses bad ones.
    for name in ["start-date", "end-date"] {
        if let Some(v) = req.query.get(name).filter(|v| !v.is_empty()) {
            crate::domain::usage::parse_date(v).ok_or(Error::InvalidArgument)?;
        }
    }
    let uid = user.uid.to_string();
    let mut buckets = app.buckets.of_user(&uid).await?;
    buckets.sort_by(|a, b| a.name.cmp(&b.name));
    let mut per_bucket = Vec::with_capacity(buckets.len());
    let (mut size, mut rounded, mut objects) = (0u64, 0u64, 0u64);
    for b in &buckets {
        let s = app.buckets.stats(&b.data_key()).await?;
        size += s.size;
        rounded += s.size_actual;
        objects += s.num_objects;
        per_bucket.push((b.name.as_str(), s.size, s.size_actual));
    }
    let mut x = Xml::new();
    x.open("Usage");
    x.open("Entries");
    x.close("Entries");
    let (uq, bq) = (&user.user_quota, &user.bucket_quota);
    let summary: [(&str, i128); 8] = [
        ("QuotaMaxBytes", uq.max_size.into()),
        ("QuotaMaxBuckets", user.max_buckets.into()),
        ("QuotaMaxObjCount", uq.max_objects.into()),
        ("QuotaMaxBytesPerBucket", bq.max_objects.into()),
        ("QuotaMaxObjCountPerBucket", bq.max_size.into()),
        ("TotalBytes", size.into()),
        ("TotalBytesRounded", rounded.into()),
        ("TotalEntries", objects.into()),
    ];
    x.open("Summary");
    for (name, v) in summary {
        x.num(name, v);
    }
    x.close("Summary");
    x.open("CapacityUsed");
    x.open("User");
    x.open("Buckets");
    for (name, size, rounded) in per_bucket {
        x.open("Entry");
        x.elem("Bucket", name);
        x.num("Bytes", size);
        x.num("Bytes_Rounded", rounded);
        x.close("Entry");
    }
    x.close("Buckets");
    x.close("User");
    x.close("CapacityUsed");
    x.close("Usage");
    Ok(Reply::xml(x.finish()))
}

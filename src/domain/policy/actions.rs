//! The actions a policy statement names, as a set of radosgw's action names.

use serde_json::Value;

use super::{glob, items, string};
use crate::error::{Error, Result};

/// The actions a policy may name, as radosgw knows them (`actpairs`): a name or pattern that
/// matches none of these makes the policy invalid. Bit `i` of a statement's set is entry `i`.
const ACTIONS: &[&str] = &[
    "s3:AbortMultipartUpload",
    "s3:CreateBucket",
    "s3:DeleteBucketPolicy",
    "s3:DeleteBucket",
    "s3:DeleteBucketWebsite",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersionTagging",
    "s3:DeleteBucketPublicAccessBlock",
    "s3:DeletePublicAccessBlock",
    "s3:DeleteReplicationConfiguration",
    "s3:GetAccelerateConfiguration",
    "s3:GetBucketAcl",
    "s3:GetBucketCORS",
    "s3:GetBucketEncryption",
    "s3:GetBucketLocation",
    "s3:GetBucketLogging",
    "s3:GetBucketNotification",
    "s3:GetBucketPolicy",
    "s3:GetBucketPolicyStatus",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketRequestPayment",
    "s3:GetBucketTagging",
    "s3:GetBucketVersioning",
    "s3:GetBucketWebsite",
    "s3:GetLifecycleConfiguration",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetPublicAccessBlock",
    "s3:GetObjectAcl",
    "s3:GetObject",
    "s3:GetObjectTorrent",
    "s3:GetObjectVersionAcl",
    "s3:GetObjectVersion",
    "s3:GetObjectVersionTorrent",
    "s3:GetObjectTagging",
    "s3:GetObjectVersionTagging",
    "s3:GetObjectRetention",
    "s3:GetObjectLegalHold",
    "s3:GetReplicationConfiguration",
    "s3:ListAllMyBuckets",
    "s3:ListBucketMultipartUploads",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:ListMultipartUploadParts",
    "s3:PutAccelerateConfiguration",
    "s3:PutBucketAcl",
    "s3:PutBucketCORS",
    "s3:PutBucketEncryption",
    "s3:PutBucketLogging",
    "s3:PutBucketNotification",
    "s3:PutBucketPolicy",
    "s3:PutBucketRequestPayment",
    "s3:PutBucketTagging",
    "s3:PutBucketVersioning",
    "s3:PutBucketWebsite",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutObjectAcl",
    "s3:PutObject",
    "s3:PutObjectVersionAcl",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:BypassGovernanceRetention",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutPublicAccessBlock",
    "s3:PutReplicationConfiguration",
    "s3:RestoreObject",
    "iam:PutUserPolicy",
    "iam:GetUserPolicy",
    "iam:DeleteUserPolicy",
    "iam:ListUserPolicies",
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:GetRole",
    "iam:ModifyRoleTrustPolicy",
    "iam:ListRoles",
    "iam:PutRolePolicy",
    "iam:GetRolePolicy",
    "iam:ListRolePolicies",
    "iam:DeleteRolePolicy",
    "iam:CreateOIDCProvider",
    "iam:DeleteOIDCProvider",
    "iam:GetOIDCProvider",
    "iam:ListOIDCProviders",
    "iam:TagRole",
    "iam:ListRoleTags",
    "iam:UntagRole",
    "iam:UpdateRole",
    "sts:AssumeRole",
    "sts:AssumeRoleWithWebIdentity",
    "sts:GetSessionToken",
    "sts:TagSession",
];

/// A set of [`ACTIONS`], one bit each.
pub(super) type Actions = u128;
const ALL_ACTIONS: Actions = Actions::MAX;

/// The bit of an action this gateway asks about (one of [`ACTIONS`]).
pub(super) fn action_bit(action: &str) -> Actions {
    ACTIONS
        .iter()
        .position(|a| *a == action)
        .map_or(0, |i| 1 << i)
}

/// `Action` or `NotAction`: `*`, names or patterns (any case) each matching some action.
pub(super) fn parse(v: &Value) -> Result<Actions> {
    let mut set = 0;
    for a in items(v) {
        let a = string(a)?;
        if a.starts_with('*') {
            set = ALL_ACTIONS;
            continue;
        }
        let pattern = a.to_ascii_lowercase();
        let mut matched = false;
        for (i, name) in ACTIONS.iter().enumerate() {
            if glob(&pattern, &name.to_ascii_lowercase()) {
                set |= 1 << i;
                matched = true;
            }
        }
        if !matched {
            return Err(Error::InvalidArgument);
        }
    }
    Ok(set)
}

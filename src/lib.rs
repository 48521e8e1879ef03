//! rgw-admin: a Ceph RADOS Gateway Admin Ops API (and S3 subset) compatible server on an
//! embedded store.
//!
//! A request reads top to bottom: `http` (accept, parse once, respond) → `route` (the one
//! table) → `auth` (signatures, the caller) → `authz` (caps, ACLs) → `ops` (admin) or `s3`
//! → `domain` (records, caches, rules) → `store`. `encode` and `error` are leaves every
//! layer may use. See the README's Architecture section.

pub mod account;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod bootstrap;
pub mod caps;
pub mod ceph;
pub mod cli;
pub mod clock;
pub mod cnum;
pub mod config;
pub mod domain;
pub mod encode;
pub mod error;
pub mod http;
pub mod keys;
pub mod logging;
pub mod maint;
pub mod metrics;
pub mod model;
pub mod ops;
pub mod query;
pub mod route;
pub mod s3;
pub mod store;
pub mod swift;

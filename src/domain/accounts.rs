//! Accounts (radosgw 19): records and their indexes (id, tenant + name, email) on the store.
//! No cache: accounts are read by admin ops and by bucket creation of their members only.
//!
//! Writes are read-modify-write as for users: compute the new record from the stored one,
//! commit it with checks that the record is unchanged and that every index entry it newly
//! claims is free, and name the taken one on a conflict.

use crate::account::Account;
use crate::error::{Error, Result};
use crate::store::{schema, CommitError, Retry, Store, Txn};

pub struct Accounts {
    store: Store,
}

fn decode(id: &str, v: &[u8]) -> Result<Account> {
    serde_json::from_slice(v)
        .map_err(|e| Error::Unknown(format!("corrupt account record {id}: {e}")))
}

fn encode(a: &Account) -> Result<Vec<u8>> {
    serde_json::to_vec(a).map_err(|e| Error::Unknown(format!("encode account: {e}")))
}

/// The email index value of account `id`.
pub fn email_owner(id: &str) -> Vec<u8> {
    format!("{}{id}", schema::ACCOUNT_EMAIL_OWNER).into_bytes()
}

/// The index entries an account claims (its name in its tenant, its email).
fn index_keys(a: Option<&Account>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let Some(a) = a else { return Vec::new() };
    let mut v = vec![(
        schema::account_name(&a.tenant, &a.name),
        a.id.clone().into_bytes(),
    )];
    if !a.email.is_empty() {
        v.push((schema::email(&a.email), email_owner(&a.id)));
    }
    v
}

impl Accounts {
    pub fn new(store: Store) -> Accounts {
        Accounts { store }
    }

    pub async fn get(&self, id: &str) -> Result<Option<Account>> {
        match self.store.get(&schema::account(id)).await? {
            Some(v) => decode(id, &v).map(Some),
            None => Ok(None),
        }
    }

    /// The account or, as radosgw answers a missing one (`ENOENT`), `NoSuchKey`.
    pub async fn load(&self, id: &str) -> Result<Account> {
        self.get(id).await?.ok_or(Error::NoSuchKey)
    }

    pub async fn by_name(&self, tenant: &str, name: &str) -> Result<Account> {
        let id = self
            .store
            .get(&schema::account_name(tenant, name))
            .await?
            .ok_or(Error::NoSuchKey)?;
        let a = self.load(&String::from_utf8_lossy(&id)).await?;
        if a.tenant == tenant && a.name == name {
            Ok(a)
        } else {
            Err(Error::NoSuchKey)
        }
    }

    pub async fn by_email(&self, email: &str) -> Result<Account> {
        let owner = self
            .store
            .get(&schema::email(email))
            .await?
            .ok_or(Error::NoSuchKey)?;
        let id = owner
            .strip_prefix(schema::ACCOUNT_EMAIL_OWNER.as_bytes())
            .ok_or(Error::NoSuchKey)?;
        let a = self.load(&String::from_utf8_lossy(id)).await?;
        if a.email == email {
            Ok(a)
        } else {
            Err(Error::NoSuchKey)
        }
    }

    /// The uids of the account's members, at most `max`.
    pub async fn users(&self, id: &str, max: usize) -> Result<Vec<String>> {
        let rows = self
            .store
            .scan(&schema::account_users(id), None, max)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(_, v)| String::from_utf8_lossy(&v).into_owned())
            .collect())
    }

    /// Up to `max` account ids in order, after `after` when given.
    pub async fn list_page(&self, after: Option<&str>, max: usize) -> Result<Vec<String>> {
        let start = after.map(|a| crate::store::after(&schema::account(a)));
        let rows = self
            .store
            .scan(schema::ACCOUNT.as_bytes(), start.as_deref(), max)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(k, _)| {
                k.strip_prefix(schema::ACCOUNT.as_bytes())
                    .map(|id| String::from_utf8_lossy(id).into_owned())
            })
            .collect())
    }

    /// Create `a`; `AccountAlreadyExists` when its id, name or email is taken.
    pub async fn create(&self, a: Account) -> Result<Account> {
        let id = a.id.clone();
        self.write(&id, &mut |cur| match cur {
            Some(_) => Err(Error::AccountAlreadyExists),
            None => Ok(Some(a.clone())),
        })
        .await
        .map(|a| a.expect("created"))
    }

    /// Read-modify-write of an existing account (`NoSuchKey` when absent).
    pub async fn modify(
        &self,
        id: &str,
        mut f: impl FnMut(&mut Account) -> Result<()> + Send,
    ) -> Result<Account> {
        self.write(id, &mut |cur| {
            let mut a = cur.ok_or(Error::NoSuchKey)?;
            f(&mut a)?;
            Ok(Some(a))
        })
        .await
        .map(|a| a.expect("modified"))
    }

    /// Remove the account and its index entries.
    pub async fn remove(&self, id: &str) -> Result<()> {
        self.write(id, &mut |cur| {
            cur.ok_or(Error::NoSuchKey)?;
            Ok(None)
        })
        .await
        .map(|_| ())
    }

    async fn write(
        &self,
        id: &str,
        f: &mut (dyn FnMut(Option<Account>) -> Result<Option<Account>> + Send),
    ) -> Result<Option<Account>> {
        let mut retry = Retry::new();
        loop {
            let raw = self.store.get(&schema::account(id)).await?;
            let cur = raw.as_deref().map(|v| decode(id, v)).transpose()?;
            let new = f(cur.clone())?.map(|mut a| {
                a.ver = cur.as_ref().map_or(0, |c| c.ver) + 1;
                if a.tag.is_empty() {
                    a.tag = crate::keys::random_tag();
                }
                a.mtime_us = crate::clock::now_us();
                a
            });
            let mut t = Txn::default();
            t.expect(schema::account(id), raw);
            match &new {
                Some(n) => t.put(schema::account(id), encode(n)?),
                None => t.delete(schema::account(id)),
            };
            let (before, after) = (index_keys(cur.as_ref()), index_keys(new.as_ref()));
            for (k, v) in &after {
                if !before.iter().any(|(b, _)| b == k) {
                    t.expect(k.clone(), None);
                    t.put(k.clone(), v.clone());
                }
            }
            for (k, _) in &before {
                if !after.iter().any(|(a, _)| a == k) {
                    t.delete(k.clone());
                }
            }
            match self.store.commit(t).await {
                Ok(_) => return Ok(new),
                Err(CommitError::Conflict) => {
                    // An index entry the new record claims is someone else's: radosgw's
                    // EEXIST. Otherwise the record changed under us: redo the change.
                    for (k, _) in &after {
                        if !before.iter().any(|(b, _)| b == k) && self.store.get(k).await?.is_some()
                        {
                            return Err(Error::AccountAlreadyExists);
                        }
                    }
                    retry.next().await?;
                }
                Err(CommitError::Store(e)) => return Err(e.into()),
            }
        }
    }
}

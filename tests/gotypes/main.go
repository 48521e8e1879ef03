// Command gotypes decodes admin API answers the way go-ceph's rgw/admin package does:
// encoding/json's plain Unmarshal into typed structs, where one field of the wrong JSON type
// (a string for a bool or a number, a negative number for a uint64, an object for a string,
// a time that is not RFC 3339...) fails the whole call. Unknown fields are ignored, as they
// are by go-ceph; a JSON null leaves a field at its zero value (that never fails).
//
// The structs below are written for this test from go-ceph's rgw/admin sources (HEAD and
// v0.31, see docs/client-matrix.md §3): same JSON names, same Go types. Where go-ceph's
// versions differ, the stricter type is kept (User.placement_tags: []string at HEAD,
// []interface{} before). Request-only fields (url tags) are left out.
//
// Input, on stdin: one JSON document a line,
//
//	{"type": "User", "name": "label", "body": "<the raw answer, as a string>"}
//
// Output: one line per document, "ok <type> <name>" or "FAIL <type> <name>: <error>";
// exit status 1 if any failed (or a line could not be read), 0 otherwise.
//
// Standard library only: `go run tests/gotypes/main.go` needs no module download.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

// Quota is go-ceph's QuotaSpec (user, bucket and account quotas).
type Quota struct {
	UserID     string `json:"user_id"`
	Bucket     string `json:"bucket"`
	Enabled    *bool  `json:"enabled"`
	CheckOnRaw bool   `json:"check_on_raw"`
	MaxSize    *int64 `json:"max_size"`
	MaxSizeKB  *int   `json:"max_size_kb"`
	MaxObjects *int64 `json:"max_objects"`
}

// Subuser is go-ceph's SubuserSpec (SubuserAccess is a string type).
type Subuser struct {
	ID          string `json:"id"`
	Permissions string `json:"permissions"`
}

// S3Key is go-ceph's UserKeySpec; CreateKey answers []UserKeySpec for s3 and swift keys.
type S3Key struct {
	User      string `json:"user"`
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
}

// SwiftKey is go-ceph's SwiftKeySpec.
type SwiftKey struct {
	User      string `json:"user"`
	SecretKey string `json:"secret_key"`
}

// Cap is go-ceph's UserCapSpec.
type Cap struct {
	Type string `json:"type"`
	Perm string `json:"perm"`
}

// UserStats is go-ceph's UserStat.
type UserStats struct {
	Size        *uint64 `json:"size"`
	SizeRounded *uint64 `json:"size_rounded"`
	NumObjects  *uint64 `json:"num_objects"`
}

// User is go-ceph's User: GetUser, CreateUser, ModifyUser.
type User struct {
	UserID              string        `json:"user_id"`
	DisplayName         string        `json:"display_name"`
	Email               string        `json:"email"`
	Suspended           *int          `json:"suspended"`
	MaxBuckets          *int          `json:"max_buckets"`
	Subusers            []Subuser     `json:"subusers"`
	Keys                []S3Key       `json:"keys"`
	SwiftKeys           []SwiftKey    `json:"swift_keys"`
	Caps                []Cap         `json:"caps"`
	OpMask              string        `json:"op_mask"`
	DefaultPlacement    string        `json:"default_placement"`
	DefaultStorageClass string        `json:"default_storage_class"`
	PlacementTags       []string      `json:"placement_tags"`
	BucketQuota         Quota         `json:"bucket_quota"`
	UserQuota           Quota         `json:"user_quota"`
	TempURLKeys         []interface{} `json:"temp_url_keys"`
	Type                string        `json:"type"`
	MfaIDs              []interface{} `json:"mfa_ids"`
	Stats               UserStats     `json:"stats"`
	AccountID           string        `json:"account_id"`
}

// Counters is one category of a bucket's usage (go-ceph's RgwUsage and Bucket.Usage.*).
type Counters struct {
	Size           *uint64 `json:"size"`
	SizeActual     *uint64 `json:"size_actual"`
	SizeUtilized   *uint64 `json:"size_utilized"`
	SizeKB         *uint64 `json:"size_kb"`
	SizeKBActual   *uint64 `json:"size_kb_actual"`
	SizeKBUtilized *uint64 `json:"size_kb_utilized"`
	NumObjects     *uint64 `json:"num_objects"`
}

// BucketUsage is a bucket's "usage" object.
type BucketUsage struct {
	Main      Counters `json:"rgw.main"`
	Multimeta Counters `json:"rgw.multimeta"`
	None      Counters `json:"rgw.none"`
}

// Placement is Bucket.explicit_placement.
type Placement struct {
	DataPool      string `json:"data_pool"`
	DataExtraPool string `json:"data_extra_pool"`
	IndexPool     string `json:"index_pool"`
}

// Bucket is go-ceph's Bucket: GetBucketInfo, and the elements of ListBucketsWithStat and
// ListUsersBucketsWithStat. versioned/versioning_enabled are reef's fields, versioning
// quincy's and squid's; go-ceph declares all three.
type Bucket struct {
	Bucket            string      `json:"bucket"`
	NumShards         *uint64     `json:"num_shards"`
	Tenant            string      `json:"tenant"`
	Zonegroup         string      `json:"zonegroup"`
	PlacementRule     string      `json:"placement_rule"`
	ExplicitPlacement Placement   `json:"explicit_placement"`
	ID                string      `json:"id"`
	Marker            string      `json:"marker"`
	IndexType         string      `json:"index_type"`
	Versioned         *bool       `json:"versioned"`
	VersioningEnabled *bool       `json:"versioning_enabled"`
	Versioning        *string     `json:"versioning"`
	ObjectLockEnabled bool        `json:"object_lock_enabled"`
	Owner             string      `json:"owner"`
	Ver               string      `json:"ver"`
	MasterVer         string      `json:"master_ver"`
	Mtime             string      `json:"mtime"`
	CreationTime      *time.Time  `json:"creation_time"`
	MaxMarker         string      `json:"max_marker"`
	Usage             BucketUsage `json:"usage"`
	BucketQuota       Quota       `json:"bucket_quota"`
}

// Policy is go-ceph's Policy: GetBucketPolicy.
type Policy struct {
	ACL struct {
		ACLUserMap []struct {
			User string `json:"user"`
			ACL  *int   `json:"acl"`
		} `json:"acl_user_map"`
		ACLGroupMap []interface{} `json:"acl_group_map"`
		GrantMap    []struct {
			ID    string `json:"id"`
			Grant struct {
				Type struct {
					Type int `json:"type"`
				} `json:"type"`
				ID         string `json:"id"`
				Email      string `json:"email"`
				Permission struct {
					Flags int `json:"flags"`
				} `json:"permission"`
				Name    string `json:"name"`
				Group   *int   `json:"group"`
				URLSpec string `json:"url_spec"`
			} `json:"grant"`
		} `json:"grant_map"`
	} `json:"acl"`
	Owner struct {
		ID          string `json:"id"`
		DisplayName string `json:"display_name"`
	} `json:"owner"`
}

// UsageCategory is one category line of the usage log.
type UsageCategory struct {
	Category      string `json:"category"`
	BytesSent     uint64 `json:"bytes_sent"`
	BytesReceived uint64 `json:"bytes_received"`
	Ops           uint64 `json:"ops"`
	SuccessfulOps uint64 `json:"successful_ops"`
}

// Usage is go-ceph's Usage: GetUsage.
type Usage struct {
	Entries []struct {
		User    string `json:"user"`
		Buckets []struct {
			Bucket     string          `json:"bucket"`
			Time       string          `json:"time"`
			Epoch      uint64          `json:"epoch"`
			Owner      string          `json:"owner"`
			Categories []UsageCategory `json:"categories"`
		} `json:"buckets"`
	} `json:"entries"`
	Summary []struct {
		User       string          `json:"user"`
		Categories []UsageCategory `json:"categories"`
		Total      struct {
			BytesSent     uint64 `json:"bytes_sent"`
			BytesReceived uint64 `json:"bytes_received"`
			Ops           uint64 `json:"ops"`
			SuccessfulOps uint64 `json:"successful_ops"`
		} `json:"total"`
	} `json:"summary"`
}

// RateLimit is go-ceph's RateLimitSpec.
type RateLimit struct {
	UserID        string `json:"user_id"`
	Bucket        string `json:"bucket"`
	Enabled       *bool  `json:"enabled"`
	MaxReadOps    *int64 `json:"max_read_ops"`
	MaxWriteOps   *int64 `json:"max_write_ops"`
	MaxReadBytes  *int64 `json:"max_read_bytes"`
	MaxWriteBytes *int64 `json:"max_write_bytes"`
	MaxListOps    *int64 `json:"max_list_ops"`
	MaxDeleteOps  *int64 `json:"max_delete_ops"`
}

// BucketRateLimit is the answer GetIndividualBucketRateLimit decodes.
type BucketRateLimit struct {
	Limit RateLimit `json:"bucket_ratelimit"`
}

// UserRateLimit is the user-scope answer ({"user_ratelimit": ...}), decoded into the same
// RateLimitSpec as the bucket scope.
type UserRateLimit struct {
	Limit RateLimit `json:"user_ratelimit"`
}

// Info is go-ceph's Info: GetInfo.
type Info struct {
	Info struct {
		StorageBackends []struct {
			Name      string `json:"name"`
			ClusterID string `json:"cluster_id"`
		} `json:"storage_backends"`
	} `json:"info"`
}

// Account is go-ceph's Account (squid+): Create/Get/ModifyAccount.
type Account struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Email         string `json:"email"`
	Tenant        string `json:"tenant"`
	MaxUsers      *int64 `json:"max_users"`
	MaxRoles      *int64 `json:"max_roles"`
	MaxGroups     *int64 `json:"max_groups"`
	MaxAccessKeys *int64 `json:"max_access_keys"`
	MaxBuckets    *int64 `json:"max_buckets"`
	Quota         Quota  `json:"quota"`
	BucketQuota   Quota  `json:"bucket_quota"`
}

// CheckBucketIndex is go-ceph's CheckBucketIndexResponse.
type CheckBucketIndex struct {
	InvalidMultipartEntries []string `json:"invalid_multipart_entries"`
	CheckResult             struct {
		ExistingHeader struct {
			Usage BucketUsage `json:"usage"`
		} `json:"existing_header"`
		CalculatedHeader struct {
			Usage BucketUsage `json:"usage"`
		} `json:"calculated_header"`
	} `json:"check_result"`
}

// Error is the body go-ceph decodes from any answer with a status >= 300.
type Error struct {
	Code      string `json:"Code"`
	RequestID string `json:"RequestId"`
	HostID    string `json:"HostId"`
}

// types names what each document is decoded into: a new value per document.
var types = map[string]func() interface{}{
	"User":             func() interface{} { return new(User) },
	"Quota":            func() interface{} { return new(Quota) },
	"Bucket":           func() interface{} { return new(Bucket) },
	"BucketList":       func() interface{} { return new([]Bucket) },
	"StringList":       func() interface{} { return new(*[]string) },
	"KeyList":          func() interface{} { return new([]S3Key) },
	"SwiftKeyList":     func() interface{} { return new([]SwiftKey) },
	"SubuserList":      func() interface{} { return new([]Subuser) },
	"CapList":          func() interface{} { return new([]Cap) },
	"Policy":           func() interface{} { return new(Policy) },
	"Usage":            func() interface{} { return new(Usage) },
	"UserRateLimit":    func() interface{} { return new(UserRateLimit) },
	"BucketRateLimit":  func() interface{} { return new(BucketRateLimit) },
	"Info":             func() interface{} { return new(Info) },
	"Account":          func() interface{} { return new(Account) },
	"CheckBucketIndex": func() interface{} { return new(CheckBucketIndex) },
	"Error":            func() interface{} { return new(Error) },
}

type document struct {
	Type string `json:"type"`
	Name string `json:"name"`
	Body string `json:"body"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 0, 1<<20), 64<<20)
	failed := 0
	n := 0
	for in.Scan() {
		line := strings.TrimSpace(in.Text())
		if line == "" {
			continue
		}
		n++
		var doc document
		if err := json.Unmarshal([]byte(line), &doc); err != nil {
			fmt.Printf("FAIL - line%d: not a test document: %v\n", n, err)
			failed++
			continue
		}
		newValue, ok := types[doc.Type]
		if !ok {
			names := typeNames()
			fmt.Printf("FAIL %s %s: unknown type (known: %s)\n", doc.Type, doc.Name, names)
			failed++
			continue
		}
		if err := json.Unmarshal([]byte(doc.Body), newValue()); err != nil {
			fmt.Printf("FAIL %s %s: %v\n", doc.Type, doc.Name, err)
			failed++
			continue
		}
		fmt.Printf("ok %s %s\n", doc.Type, doc.Name)
	}
	if err := in.Err(); err != nil {
		fmt.Printf("FAIL - input: %v\n", err)
		failed++
	}
	fmt.Printf("%d documents, %d failed\n", n, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

func typeNames() string {
	names := make([]string, 0, len(types))
	for k := range types {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

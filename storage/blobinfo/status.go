package blobinfo

import "fmt"

// StatusKind is the variant of a blob status.
type StatusKind uint8

// The blob status variants of the node API's BlobStatus.
const (
	Nonexistent StatusKind = iota
	InvalidStatus
	PermanentStatus
	DeletableStatus
)

// String returns the variant's JSON name.
func (k StatusKind) String() string {
	switch k {
	case Nonexistent:
		return "nonexistent"
	case InvalidStatus:
		return "invalid"
	case PermanentStatus:
		return "permanent"
	case DeletableStatus:
		return "deletable"
	}
	return fmt.Sprintf("StatusKind(%d)", uint8(k))
}

// DeletableCounts counts a blob's live deletable objects.
type DeletableCounts struct {
	Total     uint32
	Certified uint32
}

// Status is the status a node reports for a blob (the node API's
// BlobStatus). Fields beyond Kind are meaningful for the variants noted.
type Status struct {
	Kind                  StatusKind
	Event                 EventID // invalid: the invalidating event; permanent: the status event
	EndEpoch              uint32  // permanent
	IsCertified           bool    // permanent
	Counts                DeletableCounts
	HasInitialCertified   bool // permanent, deletable
	InitialCertifiedEpoch uint32
}

// Status derives the status at epoch e. Records whose end epoch is not after
// e have expired and are left out, even before Expire has removed them.
func (in *Info) Status(e uint32) Status {
	if in.Invalid {
		return Status{Kind: InvalidStatus, Event: in.InvalidEvent}
	}
	st := Status{HasInitialCertified: in.HasInitialCertified, InitialCertifiedEpoch: in.InitialCertifiedEpoch}
	if in.RegisteredDeletable > 0 && in.DeletableRegisteredEnd > e {
		st.Counts.Total = in.RegisteredDeletable
	}
	if in.CertifiedDeletable > 0 && in.DeletableCertifiedEnd > e {
		st.Counts.Certified = in.CertifiedDeletable
	}
	if c := in.PermanentCertified; c != nil && c.EndEpoch > e {
		st.Kind, st.EndEpoch, st.IsCertified, st.Event = PermanentStatus, c.EndEpoch, true, c.Event
		return st
	}
	if r := in.PermanentRegistered; r != nil && r.EndEpoch > e {
		st.Kind, st.EndEpoch, st.Event = PermanentStatus, r.EndEpoch, r.Event
		return st
	}
	if st.Counts.Total > 0 {
		st.Kind = DeletableStatus
		return st
	}
	return Status{Kind: Nonexistent}
}

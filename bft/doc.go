// Package bft holds only tests: Byzantine fault tolerance shown end to end
// on a network of separate processes (internal/cluster): writes and reads
// with nodes stopped, paused, cut off, slow or lying; a wiped node rebuilt
// from recovery symbols; a malicious writer caught; crashes of storage
// nodes and validators; bad input at the nodes' doors. FAULTS.md reports
// what the tests inject and observe. They skip under -short; run them with
//
//	go test -count=1 -v ./bft/
package bft

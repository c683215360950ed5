//go:build amd64 && !purego

package rs

import "golang.org/x/sys/cpu"

// useAVX2 selects the AVX2 kernels. Tests switch it off to exercise the
// portable kernels on the same machine.
var useAVX2 = cpu.X86.HasAVX2

// The AVX2 kernels. tab holds the nibble tables of the constant; the slices
// have equal lengths, a multiple of unit, and unit is at least 64 (a unit
// that is a multiple of 64 may be passed as the whole length).

// mulAddAVX2 sets dst ^= src * m.
//
//go:noescape
func mulAddAVX2(tab *nibTables, dst, src []byte, unit int)

// mulAVX2 sets dst = src * m; dst and src may be the same slice.
//
//go:noescape
func mulAVX2(tab *nibTables, dst, src []byte, unit int)

// fftAVX2 sets a ^= b * m, then b ^= a.
//
//go:noescape
func fftAVX2(tab *nibTables, a, b []byte, unit int)

// ifftAVX2 sets b ^= a, then a ^= b * m.
//
//go:noescape
func ifftAVX2(tab *nibTables, a, b []byte, unit int)

// xorAVX2 sets dst ^= src over the first len(dst) &^ 31 bytes; src is at
// least as long as dst.
//
//go:noescape
func xorAVX2(dst, src []byte)

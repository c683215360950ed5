//go:build !amd64 || purego

package rs

// useAVX2 is false where there is no assembly; the portable kernels run.
var useAVX2 = false

func mulAddAVX2(tab *nibTables, dst, src []byte, unit int) { panic("rs: no AVX2 kernels") }
func mulAVX2(tab *nibTables, dst, src []byte, unit int)    { panic("rs: no AVX2 kernels") }
func fftAVX2(tab *nibTables, a, b []byte, unit int)        { panic("rs: no AVX2 kernels") }
func ifftAVX2(tab *nibTables, a, b []byte, unit int)       { panic("rs: no AVX2 kernels") }
func xorAVX2(dst, src []byte)                              { panic("rs: no AVX2 kernels") }

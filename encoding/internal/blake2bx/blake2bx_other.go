//go:build !amd64 || purego

package blake2bx

const (
	hasAVX2   = false
	hasAVX512 = false
)

func sumEqual(dst [][Size]byte, prefix byte, msgs [][]byte, _ Impl) {
	sumGeneric(dst, prefix, msgs)
}

func sum64(dst [][Size]byte, prefix byte, src []byte, _ Impl) {
	sum64Generic(dst, prefix, src)
}

package rs

import "sync"

// Field constants of GF(2^16) as Leopard and reed-solomon-simd define it.
const (
	order      = 1 << 16 // number of field elements
	modulus    = order - 1
	polynomial = 0x1002D
)

// cantorBasis is the basis through which log values are rebuilt so that the
// additive FFT's evaluation points form subspaces.
var cantorBasis = [16]uint16{
	0x0001, 0xACCA, 0x3C0E, 0x163E, 0xC582, 0xED2E, 0x914C, 0x4012,
	0x6C98, 0x10D8, 0x6A72, 0xB900, 0xFDB8, 0xFB34, 0xFF38, 0x991E,
}

// fieldTables holds the precomputed tables. They are computed once, lazily,
// and never change afterwards.
type fieldTables struct {
	exp      [order]uint16
	log      [order]uint16
	skew     [modulus]uint16 // FFT twiddles in log form; modulus means "zero"
	logWalsh [order]uint16   // Walsh–Hadamard transform of log, used by the decoder
}

var (
	tablesOnce sync.Once
	tbl        *fieldTables
)

func tables() *fieldTables {
	tablesOnce.Do(func() { tbl = buildTables() })
	return tbl
}

// addMod adds modulo 65535 with end-around carry.
func addMod(a, b uint16) uint16 {
	s := uint32(a) + uint32(b)
	return uint16(s + s>>16)
}

// subMod subtracts modulo 65535 with end-around borrow.
func subMod(a, b uint16) uint16 {
	d := uint32(a) - uint32(b)
	return uint16(d + d>>16)
}

// mulLog multiplies field element x by the element whose log is logm.
func (t *fieldTables) mulLog(x, logm uint16) uint16 {
	if x == 0 {
		return 0
	}
	return t.exp[addMod(t.log[x], logm)]
}

func buildTables() *fieldTables {
	t := new(fieldTables)
	exp, log := &t.exp, &t.log

	// LFSR walk: the first table maps each element to its position.
	state := uint32(1)
	for i := uint32(0); i < modulus; i++ {
		exp[state] = uint16(i)
		state <<= 1
		if state >= order {
			state ^= polynomial
		}
	}
	exp[0] = modulus

	// Rebuild log through the Cantor basis, then invert into exp.
	log[0] = 0
	for i := 0; i < 16; i++ {
		width := 1 << i
		for j := 0; j < width; j++ {
			log[j+width] = log[j] ^ cantorBasis[i]
		}
	}
	for i := 0; i < order; i++ {
		log[i] = exp[log[i]]
	}
	for i := 0; i < order; i++ {
		exp[log[i]] = uint16(i)
	}
	exp[modulus] = exp[0]

	// Skew factors of the Lin–Chung–Han polynomial basis.
	var temp [15]uint16
	for i := 1; i < 16; i++ {
		temp[i-1] = 1 << i
	}
	skew := &t.skew
	for m := 0; m < 15; m++ {
		step := 1 << (m + 1)
		skew[(1<<m)-1] = 0
		for i := m; i < 15; i++ {
			s := 1 << (i + 1)
			for j := (1 << m) - 1; j < s; j += step {
				skew[j+s] = skew[j] ^ temp[i]
			}
		}
		temp[m] = modulus - log[t.mulLog(temp[m], log[temp[m]^1])]
		for i := m + 1; i < 15; i++ {
			sum := addMod(log[temp[i]^1], temp[m])
			temp[i] = t.mulLog(temp[i], sum)
		}
	}
	for i := range skew {
		skew[i] = log[skew[i]]
	}

	// Walsh–Hadamard transform of the log table (log[0] taken as 0).
	t.logWalsh = *log
	t.logWalsh[0] = 0
	fwht(&t.logWalsh, order)
	return t
}

// fwht is the Walsh–Hadamard transform modulo 65535, processing only blocks
// that start below truncated (entries from truncated on must be zero).
func fwht(data *[order]uint16, truncated int) {
	dist := 1
	for dist4 := 4; dist4 <= order; dist4 <<= 2 {
		for r := 0; r < truncated; r += dist4 {
			for i := r; i < r+dist; i++ {
				t0, t1, t2, t3 := data[i], data[i+dist], data[i+2*dist], data[i+3*dist]
				t0, t1 = addMod(t0, t1), subMod(t0, t1)
				t2, t3 = addMod(t2, t3), subMod(t2, t3)
				t0, t2 = addMod(t0, t2), subMod(t0, t2)
				t1, t3 = addMod(t1, t3), subMod(t1, t3)
				data[i], data[i+dist], data[i+2*dist], data[i+3*dist] = t0, t1, t2, t3
			}
		}
		dist = dist4
	}
}

//go:build amd64 && !purego

#include "textflag.h"

// AVX2 kernels for GF(2^16) multiplication by a constant in Walrus's symbol
// layout. A 64-byte block holds 32 elements: low bytes in its first 32 bytes
// (one YMM register), high bytes in the last 32 (another). The product by a
// constant is the xor of four 16-entry table lookups per output byte, one per
// input nibble, each done by VPSHUFB on 32 elements at once.
//
// Register use in every kernel:
//   Y0..Y7  nibble tables (Y0/Y1 low/high product bytes of nibble 0, ...)
//   Y8      0x0f in every byte
//   Y15     tail lane mask
//   Y9,Y10  input low/high bytes; Y11,Y12 scratch; Y13,Y14 product low/high
//   SI, DI  current source and destination (b and a in the butterflies)
//   DX      bytes left; R8 unit; R9 bytes of full blocks per unit
//   R10     tail elements m; R11 = m-32, R12 = 2m-32: offsets from the tail
//           start of the windows holding its low and high bytes
//
// A tail of m < 32 elements (low bytes then high bytes, ending at the unit
// end E) is processed through two 32-byte windows ending at E-m and at E:
// lane j of either holds element j-(32-m) when j >= 32-m, so the lanes
// line up as in a block and only the top m lanes (the tail mask) may change.
// The windows overlap each other and the unit's last block (unit >= 64 keeps
// them inside the unit), so every kernel loads all windows before storing,
// stores the high window before the low one (the low window holds the
// correct bytes of the overlap), and leaves unmasked lanes as loaded.

// tailmask<>+m is the mask of the top m lanes of a 32-byte vector.
DATA tailmask<>+0x00(SB)/8, $0
DATA tailmask<>+0x08(SB)/8, $0
DATA tailmask<>+0x10(SB)/8, $0
DATA tailmask<>+0x18(SB)/8, $0
DATA tailmask<>+0x20(SB)/8, $-1
DATA tailmask<>+0x28(SB)/8, $-1
DATA tailmask<>+0x30(SB)/8, $-1
DATA tailmask<>+0x38(SB)/8, $-1
GLOBL tailmask<>(SB), RODATA|NOPTR, $64

// nibmask<> is 0x0f in every byte. (Loaded from memory: a legacy SSE move
// into X8 after the VEX table loads costs a state transition.)
DATA nibmask<>+0x00(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA nibmask<>+0x08(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA nibmask<>+0x10(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA nibmask<>+0x18(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL nibmask<>(SB), RODATA|NOPTR, $32

// SETUP loads the tables and the unit geometry.
#define SETUP \
	MOVQ    tab+0(FP), AX \
	VMOVDQU 0(AX), Y0 \
	VMOVDQU 32(AX), Y1 \
	VMOVDQU 64(AX), Y2 \
	VMOVDQU 96(AX), Y3 \
	VMOVDQU 128(AX), Y4 \
	VMOVDQU 160(AX), Y5 \
	VMOVDQU 192(AX), Y6 \
	VMOVDQU 224(AX), Y7 \
	VMOVDQU nibmask<>(SB), Y8 \
	MOVQ    unit+56(FP), R8 \
	MOVQ    R8, R9 \
	ANDQ    $-64, R9 \
	MOVQ    R8, R10 \
	SUBQ    R9, R10 \
	SHRQ    $1, R10 \
	LEAQ    tailmask<>(SB), BX \
	VMOVDQU (BX)(R10*1), Y15 \
	LEAQ    -32(R10), R11 \
	LEAQ    -32(R10)(R10*1), R12

// PROD sets Y13/Y14 to the low/high bytes of the product of the elements
// whose low/high bytes are in L/H (left intact). Clobbers Y11, Y12.
#define PROD(L, H) \
	VPAND   Y8, L, Y11 \
	VPSHUFB Y11, Y0, Y13 \
	VPSHUFB Y11, Y1, Y14 \
	VPSRLQ  $4, L, Y11 \
	VPAND   Y8, Y11, Y11 \
	VPSHUFB Y11, Y2, Y12 \
	VPXOR   Y12, Y13, Y13 \
	VPSHUFB Y11, Y3, Y12 \
	VPXOR   Y12, Y14, Y14 \
	VPAND   Y8, H, Y11 \
	VPSHUFB Y11, Y4, Y12 \
	VPXOR   Y12, Y13, Y13 \
	VPSHUFB Y11, Y5, Y12 \
	VPXOR   Y12, Y14, Y14 \
	VPSRLQ  $4, H, Y11 \
	VPAND   Y8, Y11, Y11 \
	VPSHUFB Y11, Y6, Y12 \
	VPXOR   Y12, Y13, Y13 \
	VPSHUFB Y11, Y7, Y12 \
	VPXOR   Y12, Y14, Y14

// func mulAddAVX2(tab *nibTables, dst, src []byte, unit int)
TEXT ·mulAddAVX2(SB), NOSPLIT, $0-64
	SETUP
	MOVQ dst_base+8(FP), DI
	MOVQ src_base+32(FP), SI
	MOVQ dst_len+16(FP), DX

muladd_unit:
	TESTQ DX, DX
	JZ    muladd_done
	MOVQ  R9, CX

muladd_block:
	VMOVDQU (SI), Y9
	VMOVDQU 32(SI), Y10
	PROD(Y9, Y10)
	VPXOR   (DI), Y13, Y13
	VPXOR   32(DI), Y14, Y14
	VMOVDQU Y13, (DI)
	VMOVDQU Y14, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $64, CX
	JNZ     muladd_block

	TESTQ R10, R10
	JZ    muladd_next
	VMOVDQU (SI)(R11*1), Y9
	VMOVDQU (SI)(R12*1), Y10
	PROD(Y9, Y10)
	VPAND   Y15, Y13, Y13
	VPAND   Y15, Y14, Y14
	VPXOR   (DI)(R11*1), Y13, Y13
	VPXOR   (DI)(R12*1), Y14, Y14
	VMOVDQU Y14, (DI)(R12*1)
	VMOVDQU Y13, (DI)(R11*1)
	LEAQ    (SI)(R10*2), SI
	LEAQ    (DI)(R10*2), DI

muladd_next:
	SUBQ R8, DX
	JMP  muladd_unit

muladd_done:
	VZEROUPPER
	RET

// func mulAVX2(tab *nibTables, dst, src []byte, unit int)
TEXT ·mulAVX2(SB), NOSPLIT, $0-64
	SETUP
	MOVQ dst_base+8(FP), DI
	MOVQ src_base+32(FP), SI
	MOVQ dst_len+16(FP), DX

mul_unit:
	TESTQ DX, DX
	JZ    mul_done
	MOVQ  R9, CX

mul_block:
	VMOVDQU (SI), Y9
	VMOVDQU 32(SI), Y10
	PROD(Y9, Y10)
	VMOVDQU Y13, (DI)
	VMOVDQU Y14, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $64, CX
	JNZ     mul_block

	TESTQ R10, R10
	JZ    mul_next
	VMOVDQU (SI)(R11*1), Y9
	VMOVDQU (SI)(R12*1), Y10
	PROD(Y9, Y10)
	VPAND   Y15, Y13, Y13
	VPAND   Y15, Y14, Y14
	VMOVDQU (DI)(R11*1), Y11
	VMOVDQU (DI)(R12*1), Y12
	VPANDN  Y11, Y15, Y11
	VPANDN  Y12, Y15, Y12
	VPOR    Y13, Y11, Y11
	VPOR    Y14, Y12, Y12
	VMOVDQU Y12, (DI)(R12*1)
	VMOVDQU Y11, (DI)(R11*1)
	LEAQ    (SI)(R10*2), SI
	LEAQ    (DI)(R10*2), DI

mul_next:
	SUBQ R8, DX
	JMP  mul_unit

mul_done:
	VZEROUPPER
	RET

// func fftAVX2(tab *nibTables, a, b []byte, unit int)
TEXT ·fftAVX2(SB), NOSPLIT, $0-64
	SETUP
	MOVQ a_base+8(FP), DI
	MOVQ b_base+32(FP), SI
	MOVQ a_len+16(FP), DX

fft_unit:
	TESTQ DX, DX
	JZ    fft_done
	MOVQ  R9, CX

fft_block:
	VMOVDQU (SI), Y9
	VMOVDQU 32(SI), Y10
	PROD(Y9, Y10)
	VPXOR   (DI), Y13, Y13
	VPXOR   32(DI), Y14, Y14
	VMOVDQU Y13, (DI)
	VMOVDQU Y14, 32(DI)
	VPXOR   Y13, Y9, Y9
	VPXOR   Y14, Y10, Y10
	VMOVDQU Y9, (SI)
	VMOVDQU Y10, 32(SI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $64, CX
	JNZ     fft_block

	TESTQ R10, R10
	JZ    fft_next
	VMOVDQU (SI)(R11*1), Y9
	VMOVDQU (SI)(R12*1), Y10
	PROD(Y9, Y10)
	VPAND   Y15, Y13, Y13
	VPAND   Y15, Y14, Y14
	VPXOR   (DI)(R11*1), Y13, Y13
	VPXOR   (DI)(R12*1), Y14, Y14
	VMOVDQU Y14, (DI)(R12*1)
	VMOVDQU Y13, (DI)(R11*1)
	VPAND   Y15, Y13, Y13
	VPAND   Y15, Y14, Y14
	VPXOR   Y13, Y9, Y9
	VPXOR   Y14, Y10, Y10
	VMOVDQU Y10, (SI)(R12*1)
	VMOVDQU Y9, (SI)(R11*1)
	LEAQ    (SI)(R10*2), SI
	LEAQ    (DI)(R10*2), DI

fft_next:
	SUBQ R8, DX
	JMP  fft_unit

fft_done:
	VZEROUPPER
	RET

// func ifftAVX2(tab *nibTables, a, b []byte, unit int)
TEXT ·ifftAVX2(SB), NOSPLIT, $0-64
	SETUP
	MOVQ a_base+8(FP), DI
	MOVQ b_base+32(FP), SI
	MOVQ a_len+16(FP), DX

ifft_unit:
	TESTQ DX, DX
	JZ    ifft_done
	MOVQ  R9, CX

ifft_block:
	VMOVDQU (SI), Y9
	VMOVDQU 32(SI), Y10
	VPXOR   (DI), Y9, Y9
	VPXOR   32(DI), Y10, Y10
	VMOVDQU Y9, (SI)
	VMOVDQU Y10, 32(SI)
	PROD(Y9, Y10)
	VPXOR   (DI), Y13, Y13
	VPXOR   32(DI), Y14, Y14
	VMOVDQU Y13, (DI)
	VMOVDQU Y14, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $64, CX
	JNZ     ifft_block

	TESTQ R10, R10
	JZ    ifft_next
	VMOVDQU (DI)(R11*1), Y13
	VMOVDQU (DI)(R12*1), Y14
	VPAND   Y15, Y13, Y13
	VPAND   Y15, Y14, Y14
	VMOVDQU (SI)(R11*1), Y9
	VMOVDQU (SI)(R12*1), Y10
	VPXOR   Y13, Y9, Y9
	VPXOR   Y14, Y10, Y10
	VMOVDQU Y10, (SI)(R12*1)
	VMOVDQU Y9, (SI)(R11*1)
	PROD(Y9, Y10)
	VPAND   Y15, Y13, Y13
	VPAND   Y15, Y14, Y14
	VPXOR   (DI)(R11*1), Y13, Y13
	VPXOR   (DI)(R12*1), Y14, Y14
	VMOVDQU Y14, (DI)(R12*1)
	VMOVDQU Y13, (DI)(R11*1)
	LEAQ    (SI)(R10*2), SI
	LEAQ    (DI)(R10*2), DI

ifft_next:
	SUBQ R8, DX
	JMP  ifft_unit

ifft_done:
	VZEROUPPER
	RET

// func xorAVX2(dst, src []byte)
// dst ^= src over the first len(dst) &^ 31 bytes.
TEXT ·xorAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ dst_len+8(FP), DX
	ANDQ $-32, DX
	JZ   xor_done

xor_128:
	CMPQ    DX, $128
	JB      xor_32
	VMOVDQU (SI), Y0
	VMOVDQU 32(SI), Y1
	VMOVDQU 64(SI), Y2
	VMOVDQU 96(SI), Y3
	VPXOR   (DI), Y0, Y0
	VPXOR   32(DI), Y1, Y1
	VPXOR   64(DI), Y2, Y2
	VPXOR   96(DI), Y3, Y3
	VMOVDQU Y0, (DI)
	VMOVDQU Y1, 32(DI)
	VMOVDQU Y2, 64(DI)
	VMOVDQU Y3, 96(DI)
	ADDQ    $128, SI
	ADDQ    $128, DI
	SUBQ    $128, DX
	JMP     xor_128

xor_32:
	TESTQ   DX, DX
	JZ      xor_done
	VMOVDQU (SI), Y0
	VPXOR   (DI), Y0, Y0
	VMOVDQU Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $32, DX
	JMP     xor_32

xor_done:
	VZEROUPPER
	RET

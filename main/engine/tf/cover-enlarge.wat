;; The two passes of cover-enlarge.ts, in WebAssembly SIMD: the same integer arithmetic as
;; libvips' fixed-point Catmull-Rom (see cover-enlarge.ts), four to sixteen values at a time.
;; Compiled to cover-enlarge.wasm by bin/build-wasm.js.
;;
;; Why: in JavaScript the two passes took 3.1-3.5 ms per flower photo smaller than 320 px,
;; one scalar product at a time; here 0.5 ms, copies in and out included, with every byte
;; the same (all 1,214 such flowers compared).
;;
;; cover-enlarge.ts lays out the memory and fills the tables; every address below is a byte
;; offset into this module's memory. Reads and writes may run up to 64 bytes past the end of
;; an area (a whole vector at its last element): the caller pads each area for that.
(module
  (memory (export "memory") 1)

  ;; Along the rows. For each of `rowCount` source rows (`rowBytes` apart from `src` on), each of
  ;; the `size` output columns: three i32s (R, G, B), each the sum of four weighted source bytes,
  ;; rounded and shifted as libvips rounds each row of its stencil, written to `across`.
  ;;
  ;; `columns` holds one 48-byte record per output column:
  ;;   bytes 0-15   a swizzle that gathers, from the 16 bytes at the first tap, the taps' R (4),
  ;;                G (4) and B (4) bytes, then 4 zeros (index 255);
  ;;   bytes 16-31  the four weights as i16, twice: w0 w1 w2 w3 w0 w1 w2 w3;
  ;;   bytes 32-35  the byte offset of the first tap within a row.
  ;; The weights fit an i16 (at most 4096) and the bytes are 0-255, so each dot product is exact.
  (func (export "enlarge_rows") (param $src i32) (param $rowBytes i32) (param $rowCount i32) (param $size i32) (param $columns i32) (param $across i32)
    (local $r i32) (local $x i32) (local $row i32) (local $column i32) (local $out i32)
    (local $taps v128) (local $weights v128) (local $redGreen v128) (local $blue v128)
    (local.set $row (local.get $src))
    (local.set $out (local.get $across))
    (block $rowsDone
      (loop $eachRow
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rowCount)))
        (local.set $column (local.get $columns))
        (local.set $x (i32.const 0))
        (block $columnsDone
          (loop $eachColumn
            (br_if $columnsDone (i32.ge_u (local.get $x) (local.get $size)))
            (local.set $taps
              (i8x16.swizzle
                (v128.load (i32.add (local.get $row) (i32.load offset=32 (local.get $column))))
                (v128.load (local.get $column))))
            (local.set $weights (v128.load offset=16 (local.get $column)))
            ;; [R w0+w1 terms, R w2+w3, G w0+w1, G w2+w3] and [B w0+w1, B w2+w3, 0, 0]
            (local.set $redGreen (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $taps)) (local.get $weights)))
            (local.set $blue (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $taps)) (local.get $weights)))
            ;; Pairs added: [R, G, B, 0]. The store writes four i32s; the fourth is overwritten
            ;; by the next column's R (or lands in the area's padding).
            (v128.store (local.get $out)
              (i32x4.shr_s
                (i32x4.add
                  (i32x4.add
                    (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $redGreen) (local.get $blue))
                    (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $redGreen) (local.get $blue)))
                  (i32x4.splat (i32.const 2048)))
                (i32.const 12)))
            (local.set $out (i32.add (local.get $out) (i32.const 12)))
            (local.set $column (i32.add (local.get $column) (i32.const 48)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $eachColumn)))
        (local.set $row (i32.add (local.get $row) (local.get $rowBytes)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $eachRow))))

  ;; Down the columns. For each of the `size` output rows, its `size`×3 bytes: four rows of
  ;; `across` weighted, rounded, shifted and clamped to 0-255 (the saturating narrows clamp
  ;; exactly as VIPS_CLIP), sixteen values per step, written to `out`.
  ;;
  ;; `rows` holds one 32-byte record per output row: the byte offsets within `across` of its
  ;; four source rows (4 × i32), then their weights (4 × i32).
  (func (export "enlarge_columns") (param $across i32) (param $size i32) (param $rows i32) (param $out i32)
    (local $y i32) (local $i i32) (local $stride i32) (local $record i32) (local $rowStart i32) (local $at i32)
    (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128)
    (local.set $stride (i32.mul (local.get $size) (i32.const 3)))
    (local.set $record (local.get $rows))
    (local.set $rowStart (local.get $out))
    (block $rowsDone
      (loop $eachRow
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $size)))
        (local.set $p0 (i32.add (local.get $across) (i32.load offset=0 (local.get $record))))
        (local.set $p1 (i32.add (local.get $across) (i32.load offset=4 (local.get $record))))
        (local.set $p2 (i32.add (local.get $across) (i32.load offset=8 (local.get $record))))
        (local.set $p3 (i32.add (local.get $across) (i32.load offset=12 (local.get $record))))
        (local.set $w0 (i32x4.splat (i32.load offset=16 (local.get $record))))
        (local.set $w1 (i32x4.splat (i32.load offset=20 (local.get $record))))
        (local.set $w2 (i32x4.splat (i32.load offset=24 (local.get $record))))
        (local.set $w3 (i32x4.splat (i32.load offset=28 (local.get $record))))
        (local.set $i (i32.const 0))
        (local.set $at (local.get $rowStart))
        (block $rowDone
          (loop $eachSixteen
            (br_if $rowDone (i32.ge_u (local.get $i) (local.get $stride)))
            ;; A row's last step may write past its end: into the next row, written after it,
            ;; or the area's padding.
            (v128.store (local.get $at)
              (i8x16.narrow_i16x8_u
                (i16x8.narrow_i32x4_s
                  (call $weighted (local.get $p0) (local.get $p1) (local.get $p2) (local.get $p3) (i32.const 0) (local.get $w0) (local.get $w1) (local.get $w2) (local.get $w3))
                  (call $weighted (local.get $p0) (local.get $p1) (local.get $p2) (local.get $p3) (i32.const 16) (local.get $w0) (local.get $w1) (local.get $w2) (local.get $w3)))
                (i16x8.narrow_i32x4_s
                  (call $weighted (local.get $p0) (local.get $p1) (local.get $p2) (local.get $p3) (i32.const 32) (local.get $w0) (local.get $w1) (local.get $w2) (local.get $w3))
                  (call $weighted (local.get $p0) (local.get $p1) (local.get $p2) (local.get $p3) (i32.const 48) (local.get $w0) (local.get $w1) (local.get $w2) (local.get $w3)))))
            (local.set $p0 (i32.add (local.get $p0) (i32.const 64)))
            (local.set $p1 (i32.add (local.get $p1) (i32.const 64)))
            (local.set $p2 (i32.add (local.get $p2) (i32.const 64)))
            (local.set $p3 (i32.add (local.get $p3) (i32.const 64)))
            (local.set $at (i32.add (local.get $at) (i32.const 16)))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $eachSixteen)))
        (local.set $record (i32.add (local.get $record) (i32.const 32)))
        (local.set $rowStart (i32.add (local.get $rowStart) (local.get $stride)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $eachRow))))

  ;; Four values of one output row: (w0·a + w1·b + w2·c + w3·d + 2048) >> 12, from the four
  ;; source rows at byte `at` past p0…p3.
  (func $weighted (param $p0 i32) (param $p1 i32) (param $p2 i32) (param $p3 i32) (param $at i32) (param $w0 v128) (param $w1 v128) (param $w2 v128) (param $w3 v128) (result v128)
    (i32x4.shr_s
      (i32x4.add
        (i32x4.add
          (i32x4.add
            (i32x4.mul (v128.load (i32.add (local.get $p0) (local.get $at))) (local.get $w0))
            (i32x4.mul (v128.load (i32.add (local.get $p1) (local.get $at))) (local.get $w1)))
          (i32x4.add
            (i32x4.mul (v128.load (i32.add (local.get $p2) (local.get $at))) (local.get $w2))
            (i32x4.mul (v128.load (i32.add (local.get $p3) (local.get $at))) (local.get $w3))))
        (i32x4.splat (i32.const 2048)))
      (i32.const 12)))
)

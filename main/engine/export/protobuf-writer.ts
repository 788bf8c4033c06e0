/**
 * Just enough of the protocol-buffers wire format to write `tf.train.Example`
 * messages: varints, length-delimited fields and packed repeated scalars. Writing
 * these few bytes by hand spares a protobuf runtime and a .proto compiler step.
 * Reference: https://protobuf.dev/programming-guides/encoding/
 */

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;

/** Grows as needed; `finish()` returns exactly the bytes written. */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** An unsigned varint; `value` may be a bigint for 64-bit values (negatives as two's complement). */
  varint(value: number | bigint): this {
    this.reserve(10);
    if (typeof value === 'number' && value >= 0 && value <= 0x7fffffff) {
      let v = value;
      while (v >= 0x80) {
        this.buf[this.len++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      this.buf[this.len++] = v;
      return this;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
    return this;
  }

  tag(field: number, wireType: number): this {
    return this.varint((field << 3) | wireType);
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED).varint(data.length);
    this.reserve(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
    return this;
  }

  string(field: number, text: string): this {
    return this.bytes(field, new TextEncoder().encode(text));
  }

  /** A nested message, written as a length-delimited field. */
  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  /** `repeated float` in packed form (little-endian IEEE-754 single precision). */
  packedFloats(field: number, values: ArrayLike<number>): this {
    this.tag(field, WIRE_LENGTH_DELIMITED).varint(values.length * 4);
    this.reserve(values.length * 4);
    for (let i = 0; i < values.length; i++) {
      this.view.setFloat32(this.len, values[i], true);
      this.len += 4;
    }
    return this;
  }

  /** `repeated int64` in packed form (varints). */
  packedInt64s(field: number, values: ReadonlyArray<number | bigint>): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export const WireType = { VARINT: WIRE_VARINT, LENGTH_DELIMITED: WIRE_LENGTH_DELIMITED } as const;

#!/usr/bin/env python3
"""convert-pytorch-bin.py — pytorch_model.bin to model.safetensors, with
Python's standard library only (no torch), so a checkpoint downloaded from
the Hugging Face hub in the old format (FinBERT = ProsusAI/finbert) loads
in herd as it is.

    scripts/convert-pytorch-bin.py MODEL_DIR            # writes MODEL_DIR/model.safetensors
    scripts/convert-pytorch-bin.py IN.bin OUT.safetensors

Reads both formats torch.save writes: the zip archive (torch >= 1.6:
archive/data.pkl plus one file per storage) and the legacy stream (magic
number, protocol, system info, the pickled object, the storage keys, then
each storage's raw bytes). A pickle.Unpickler subclass rebuilds each
tensor as (dtype, shape, bytes) from its storage, offset and strides; it
allows only the few globals a state dict needs, so a malicious pickle
cannot run code. Tensors keep their dtype (F32, F16, BF16, I64, ...):
herd converts floats to fp32 when it loads them.

Exit status: 0 done, 1 on a file it cannot read or convert, 2 on usage.
"""
import io
import json
import os
import pickle
import struct
import sys
import zipfile

# storage class name -> (safetensors dtype, bytes per element)
STORAGES = {
    "FloatStorage": ("F32", 4), "HalfStorage": ("F16", 2), "BFloat16Storage": ("BF16", 2),
    "DoubleStorage": ("F64", 8), "LongStorage": ("I64", 8), "IntStorage": ("I32", 4),
    "ShortStorage": ("I16", 2), "CharStorage": ("I8", 1), "ByteStorage": ("U8", 1), "BoolStorage": ("BOOL", 1),
}
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class Fail(Exception):
    pass


class StorageType:
    def __init__(self, name):
        if name not in STORAGES:
            raise Fail(f"unsupported storage type torch.{name}")
        self.name = name
        self.dtype, self.size = STORAGES[name]


class Storage:
    """A storage's bytes, read lazily by key."""

    def __init__(self, stype, key, reader):
        self.stype, self.key, self.reader = stype, key, reader

    def data(self):
        return self.reader(self.key, self.stype)


class Tensor:
    def __init__(self, storage, offset, shape, stride):
        self.storage, self.offset, self.shape, self.stride = storage, offset, tuple(shape), tuple(stride)

    def to_bytes(self):
        st = self.storage.stype
        raw = self.storage.data()
        n = 1
        for d in self.shape:
            n *= d
        es = st.size
        contiguous = []
        acc = 1
        for d in reversed(self.shape):
            contiguous.insert(0, acc)
            acc *= d
        if n == 0:
            return b""
        if tuple(contiguous) == self.stride or n == 1:
            start = self.offset * es
            end = start + n * es
            if end > len(raw):
                raise Fail(f"tensor runs past its storage {self.storage.key}")
            return bytes(raw[start:end])
        # a view with other strides (rare in checkpoints): gather element by element
        out = bytearray(n * es)
        idx = [0] * len(self.shape)
        for i in range(n):
            src = (self.offset + sum(a * b for a, b in zip(idx, self.stride))) * es
            out[i * es:(i + 1) * es] = raw[src:src + es]
            for d in range(len(self.shape) - 1, -1, -1):
                idx[d] += 1
                if idx[d] < self.shape[d]:
                    break
                idx[d] = 0
        return bytes(out)


def rebuild_tensor(storage, offset, size, stride, *rest):
    return Tensor(storage, offset, size, stride)


def rebuild_parameter(data, requires_grad, backward_hooks, *rest):
    return data


class OrderedDict(dict):
    pass


SAFE_GLOBALS = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): rebuild_parameter,
    ("torch.nn.parameter", "Parameter"): rebuild_parameter,
}


class Unpickler(pickle.Unpickler):
    def __init__(self, f, reader):
        super().__init__(f)
        self.reader = reader
        self.storages = {}

    def find_class(self, module, name):
        if module == "torch" and name.endswith("Storage"):
            return StorageType(name)
        if (module, name) in SAFE_GLOBALS:
            return SAFE_GLOBALS[(module, name)]
        raise Fail(f"the pickle refers to {module}.{name}, which a state dict does not need (refused)")

    def persistent_load(self, pid):
        # ('storage', storage_type, key, location, numel[, view_metadata])
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage":
            raise Fail(f"unexpected persistent id {pid!r}")
        stype, key = pid[1], str(pid[2])
        if not isinstance(stype, StorageType):
            raise Fail(f"unexpected storage type {stype!r}")
        if len(pid) > 5 and pid[5] is not None:
            raise Fail("legacy storage views are not supported")
        if key not in self.storages:
            self.storages[key] = Storage(stype, key, self.reader)
        return self.storages[key]


def load_zip(path):
    z = zipfile.ZipFile(path)
    names = z.namelist()
    pkl = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
    if len(pkl) != 1:
        raise Fail("zip archive without one data.pkl: not a torch.save file")
    root = pkl[0][: -len("data.pkl")]
    cache = {}

    def reader(key, stype):
        if key not in cache:
            cache[key] = z.read(f"{root}data/{key}")
        return cache[key]

    return Unpickler(io.BytesIO(z.read(pkl[0])), reader).load()


def load_legacy(path):
    f = open(path, "rb")
    try:
        magic = pickle.load(f)
    except Exception:
        magic = None
    if magic != LEGACY_MAGIC:
        raise Fail("not a torch.save file (neither a zip archive nor the legacy format), or cut short")
    protocol = pickle.load(f)
    if protocol != 1001:
        raise Fail(f"legacy protocol {protocol} is not 1001")
    pickle.load(f)  # sys_info
    up = Unpickler(f, lambda key, stype: data[key])
    obj = up.load()
    keys = pickle.load(f)
    data = {}
    for key in keys:
        (numel,) = struct.unpack("<q", f.read(8))
        st = up.storages[str(key)].stype
        data[str(key)] = f.read(numel * st.size)
        if len(data[str(key)]) != numel * st.size:
            raise Fail(f"truncated storage {key}")
    return obj


def load(path):
    if zipfile.is_zipfile(path):
        return load_zip(path)
    return load_legacy(path)


def state_dict(obj):
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        raise Fail("the file holds no state dict")
    out = {}
    for k, v in obj.items():
        if isinstance(v, Tensor):
            out[str(k)] = v
    if not out:
        raise Fail("the state dict holds no tensors")
    return out


def write_safetensors(tensors, path):
    header = {"__metadata__": {"format": "pt", "converted_by": "herd scripts/convert-pytorch-bin.py"}}
    blobs = []
    off = 0
    for name in sorted(tensors):
        t = tensors[name]
        b = t.to_bytes()
        header[name] = {"dtype": t.storage.stype.dtype, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)
    return len(tensors), off


def main(argv):
    if len(argv) == 2 and argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    if len(argv) == 2:
        src = os.path.join(argv[1], "pytorch_model.bin")
        dst = os.path.join(argv[1], "model.safetensors")
    elif len(argv) == 3:
        src, dst = argv[1], argv[2]
    else:
        print("Usage: convert-pytorch-bin.py MODEL_DIR | IN.bin OUT.safetensors", file=sys.stderr)
        return 2
    try:
        n, size = write_safetensors(state_dict(load(src)), dst)
    except (Fail, OSError, pickle.UnpicklingError, EOFError, zipfile.BadZipFile, struct.error, KeyError,
            ValueError, TypeError) as e:
        why = " ".join(str(e).split()) or type(e).__name__
        if isinstance(e, (EOFError, struct.error)):
            why = "truncated (" + why + ")"
        print(f"convert-pytorch-bin: {src}: {why}", file=sys.stderr)
        return 1
    print(f"convert-pytorch-bin: {dst}: {n} tensors, {size} bytes of data")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Reference values for DataIO's SeededRandom.swift (SplitMix64, unbiased bounded draw,
Fisher-Yates shuffle), printed as Swift literals for Tests/DatasetsTests/SeededRandomTests.swift.
It is also the recipe a Python script follows to reproduce textclf's seeded orders."""

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform_below(self, bound):
        threshold = ((1 << 64) - bound) % bound
        while True:
            r = self.next()
            if r >= threshold:
                return r % bound

    def shuffle(self, items):
        for i in range(len(items) - 1, 0, -1):
            j = self.uniform_below(i + 1)
            items[i], items[j] = items[j], items[i]
        return items


def fnv1a64(data, state=0xCBF29CE484222325):
    for byte in data:
        state = ((state ^ byte) * 0x100000001B3) & MASK
    return state


def split_stream(seed, purpose):
    """The stream a SplitPolicy step draws from: SplitMix64(seed ^ fnv1a64(purpose))."""
    return SplitMix64(seed ^ fnv1a64(purpose.encode()))


if __name__ == "__main__":
    for seed in (0, 1234567):
        g = SplitMix64(seed)
        print(f"seed {seed}: next x5 =", [g.next() for _ in range(5)])
    g = SplitMix64(42)
    print("seed 42: uniform_below(10) x10 =", [g.uniform_below(10) for _ in range(10)])
    g = SplitMix64(42)
    print("seed 42: uniform_below(2**62 + 1) x5 =", [g.uniform_below(2**62 + 1) for _ in range(5)])
    print("seed 123: shuffle(range(20)) =", SplitMix64(123).shuffle(list(range(20))))
    print("seed 7: shuffle(range(1000))[:10] =", SplitMix64(7).shuffle(list(range(1000)))[:10])
    # SplitPolicy.ratios(0.6, 0.2, 0.2, seed 123), not stratified, over source rows 1..10:
    # shuffle the pool with the "partition" stream, then cut 6 / 2 / rest.
    rows = split_stream(123, "partition").shuffle(list(range(1, 11)))
    print("ratios 0.6/0.2/0.2 seed 123 over rows 1..10: train", rows[:6], "validation", rows[6:8], "test", rows[8:])

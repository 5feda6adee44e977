#pragma once
#include <cstdint>

namespace flopwise {

// FLOPs executed, as counted by the kernels (a multiply-add is 2 FLOPs). Element-wise work
// (norms, activations, RoPE, softmax) is not included.
struct FlopCounts {
    uint64_t linear = 0;     // projections and MLP matmuls
    uint64_t attention = 0;  // q.k scores and value products over the keys each query sees
    uint64_t lm_head = 0;    // output projection, only at the positions whose logits were needed

    uint64_t total() const { return linear + attention + lm_head; }
    FlopCounts& operator+=(const FlopCounts& other) {
        linear += other.linear;
        attention += other.attention;
        lm_head += other.lm_head;
        return *this;
    }
};

// What a call cost: tokens pushed through the transformer and FLOPs spent.
struct ComputeUsage {
    int64_t prompt_tokens = 0;     // tokens evaluated from the input (context and continuations)
    int64_t generated_tokens = 0;  // tokens produced by generation (visible output)
    int64_t reasoning_tokens = 0;  // remote reasoning models: hidden tokens generated before the output
    int64_t reused_tokens = 0;     // context tokens served from a shared prefix instead of recomputed
    FlopCounts flops;               // everything: prefill, generation and reasoning
    FlopCounts generation_flops;    // the part of `flops` spent on decode steps (generated and reasoning tokens)
    uint64_t reasoning_flops = 0;   // the part of generation_flops.total() spent generating reasoning tokens

    FlopCounts prefill_flops() const {
        return {flops.linear - generation_flops.linear, flops.attention - generation_flops.attention,
                flops.lm_head - generation_flops.lm_head};
    }
    ComputeUsage& operator+=(const ComputeUsage& other) {
        prompt_tokens += other.prompt_tokens;
        generated_tokens += other.generated_tokens;
        reasoning_tokens += other.reasoning_tokens;
        reused_tokens += other.reused_tokens;
        flops += other.flops;
        generation_flops += other.generation_flops;
        reasoning_flops += other.reasoning_flops;
        return *this;
    }
};

}  // namespace flopwise

"""The library behind the training scripts: tokenizer (bpe), FIM examples (fim), the model
(model), its training objective (objective), data streams (data), configuration (config),
checkpoints (checkpoint), the reference sampler (sampler) and the BLAS kernel choice (cpu_blas,
imported before torch). The entry scripts live one folder up."""

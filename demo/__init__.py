"""Demo and benchmark data: a believable platform generated from latent interests."""

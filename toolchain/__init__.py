"""How this project runs its tools: the Terraform CLI (offline provider mirror) and the synth comparison."""

"""The IO layer: the only modules that talk to git, the file system, YAML, ssh-keygen, zip and the clock."""

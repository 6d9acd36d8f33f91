#!/usr/bin/env bash
# Placeholder until the reference environment lands.
exit 0

#!/usr/bin/env node
console.log('kyc-handoff');

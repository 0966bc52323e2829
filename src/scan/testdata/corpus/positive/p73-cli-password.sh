#!/bin/sh
# Nightly backup of the reporting database, then upload.
set -eu
mysqldump -h reporting.internal -ureporter -p{{GEN:ALNUM:14}} reports > /backups/reports.sql
uploader push /backups/reports.sql --bucket nightly --token={{GEN:ALNUM:32}}

<?php
$mailchimp = new MailchimpMarketing\ApiClient();
$mailchimp->setConfig(['apiKey' => getenv('MC_KEY') ?: '{{GEN:HEX:32}}-us12', 'server' => 'us12']);

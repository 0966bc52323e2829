<?php
$sendgrid = new \SendGrid('{{SENDGRID}}');
$sendgrid->send($email);
